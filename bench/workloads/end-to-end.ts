/**
 * End to end: each implementation's client against its own server (the raw
 * pair as the bound), on separate cores: unary throughput and latency,
 * ping-pong latency on one bidi stream, client-streaming throughput.
 */
import { runWorkerWithServerCpu, startServerProcess, type WorkerResult } from "../lib/child.js";
import { measureUndisturbed } from "../lib/retry.js";
import type { Settings } from "../lib/settings.js";

export interface EndToEndRow {
  impl: string;
  unary: WorkerResult;
  pingPong: WorkerResult;
  clientStream: WorkerResult;
  /** The larger share of a pinned core other processes took in the unary and ping-pong windows. */
  otherCpuPercent?: number;
  problems: string[];
}

export async function runEndToEnd(
  impls: readonly string[],
  settings: Settings,
  log: (line: string) => void,
): Promise<EndToEndRow[]> {
  const rows: EndToEndRow[] = [];
  for (const impl of impls) {
    const measure = () => measureEndToEnd(impl, settings);
    const row = await measureUndisturbed(settings, log, `e2e ${impl}`, measure, (r) => r.otherCpuPercent);
    rows.push(row);
    log(
      `e2e ${impl}: ${row.unary.callsPerSec} calls/s, ping-pong p99 ${row.pingPong.p99Us} µs, p99.9 ${row.pingPong.p999Us} µs, ` +
        `${row.clientStream.msgsPerSec} msgs/s ${row.problems.join("; ")}`,
    );
  }
  return rows;
}

async function measureEndToEnd(impl: string, settings: Settings): Promise<EndToEndRow> {
  const e = settings.e2e;
  const server = await startServerProcess(impl, e.messageSize);
  try {
    const common = { impl, url: server.url, "response-size": e.messageSize, "payload-size": e.messageSize };
    const unary = await runWorkerWithServerCpu(
      server,
      { ...common, workload: "unary", concurrency: e.concurrency, "warmup-ms": e.warmupMs, "duration-ms": e.durationMs },
      e.warmupMs + e.durationMs + 60_000,
    );
    const pingPong = await runWorkerWithServerCpu(
      server,
      { ...common, workload: "ping-pong", "warmup-ms": e.warmupMs, "duration-ms": e.pingPongMs },
      e.warmupMs + e.pingPongMs + 60_000,
    );
    const clientStream = await runWorkerWithServerCpu(
      server,
      { ...common, workload: "client-stream", count: e.clientStreamMessages },
      120_000,
    );
    const problems = [unary, pingPong, clientStream]
      .filter((r) => r.errors > 0)
      .map((r) => `${r.workload}: ${r.errors} errors, ${r.firstError}`);
    const loads = [unary.otherCpuPercent, pingPong.otherCpuPercent].filter((x): x is number => typeof x === "number");
    return { impl, unary, pingPong, clientStream, otherCpuPercent: loads.length ? Math.max(...loads) : undefined, problems };
  } finally {
    await server.stop();
  }
}
