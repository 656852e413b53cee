/**
 * End to end: each implementation's client against its own server (the raw
 * pair as the bound), on separate cores: unary throughput and latency,
 * ping-pong latency on one bidi stream, client-streaming throughput.
 */
import { runWorker, startServerProcess, type WorkerResult } from "../lib/child.js";
import type { Settings } from "../lib/settings.js";

export interface EndToEndRow {
  impl: string;
  unary: WorkerResult;
  pingPong: WorkerResult;
  clientStream: WorkerResult;
  problems: string[];
}

export async function runEndToEnd(
  impls: readonly string[],
  settings: Settings,
  log: (line: string) => void,
): Promise<EndToEndRow[]> {
  const e = settings.e2e;
  const rows: EndToEndRow[] = [];
  for (const impl of impls) {
    const server = await startServerProcess(impl, e.messageSize);
    try {
      const common = { impl, url: server.url, "response-size": e.messageSize, "payload-size": e.messageSize };
      const unary = await runWorker(
        { ...common, workload: "unary", concurrency: e.concurrency, "warmup-ms": e.warmupMs, "duration-ms": e.durationMs },
        e.warmupMs + e.durationMs + 60_000,
      );
      const pingPong = await runWorker(
        { ...common, workload: "ping-pong", "warmup-ms": e.warmupMs, "duration-ms": e.pingPongMs },
        e.warmupMs + e.pingPongMs + 60_000,
      );
      const clientStream = await runWorker(
        { ...common, workload: "client-stream", count: e.clientStreamMessages },
        120_000,
      );
      const problems = [unary, pingPong, clientStream]
        .filter((r) => r.errors > 0)
        .map((r) => `${r.workload}: ${r.errors} errors, ${r.firstError}`);
      rows.push({ impl, unary, pingPong, clientStream, problems });
      log(
        `e2e ${impl}: ${unary.callsPerSec} calls/s, ping-pong p99 ${pingPong.p99Us} µs, ` +
          `${clientStream.msgsPerSec} msgs/s ${problems.join("; ")}`,
      );
    } finally {
      await server.stop();
    }
  }
  return rows;
}
