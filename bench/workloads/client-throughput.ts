/**
 * Client throughput: each client (pinned to the load core) against the raw
 * bound server (pinned to the server core), which costs as little as a
 * server can, so the client is what is measured. The raw client is the
 * client-side bound. Full runs measure every client several times,
 * interleaved, and keep the fastest try of each workload (lib/rounds.ts).
 */
import { runWorkerWithServerCpu, startServerProcess, type WorkerResult } from "../lib/child.js";
import { measureUndisturbed } from "../lib/retry.js";
import { interleaved, bestTry } from "../lib/rounds.js";
import type { Settings } from "../lib/settings.js";

export interface ClientRow {
  impl: string;
  unary: WorkerResult;
  serverStream: WorkerResult;
  /** calls/s and msgs/s of every try (full runs make several, interleaved; each workload's figures are its fastest). */
  unaryTries?: (number | undefined)[];
  streamTries?: (number | undefined)[];
  problems: string[];
}

export async function runClientThroughput(
  impls: readonly string[],
  settings: Settings,
  log: (line: string) => void,
): Promise<ClientRow[]> {
  const tries = await interleaved(impls, settings.client.rounds, async (impl) => {
    const measure = () => measureClient(impl, settings);
    // Streams are too short for the coarse /proc/stat ticks: judge by the unary window.
    const row = await measureUndisturbed(settings, log, `client ${impl}`, measure, (r) => r.unary.otherCpuPercent as number | undefined);
    log(`client ${impl}: ${row.unary.callsPerSec} calls/s, ${row.serverStream.msgsPerSec} msgs/s ${row.problems.join("; ")}`);
    return row;
  });
  return impls.map((impl) => {
    const all = tries.get(impl)!;
    // The two workloads are separate measurements: the fastest try of each.
    return {
      impl,
      unary: bestTry(all, (r) => r.unary.callsPerSec as number | undefined).unary,
      serverStream: bestTry(all, (r) => r.serverStream.msgsPerSec as number | undefined).serverStream,
      unaryTries: all.map((r) => r.unary.callsPerSec as number | undefined),
      streamTries: all.map((r) => r.serverStream.msgsPerSec as number | undefined),
      problems: [...new Set(all.flatMap((r) => r.problems))],
    };
  });
}

async function measureClient(impl: string, settings: Settings): Promise<ClientRow> {
  const c = settings.client;
  const server = await startServerProcess("raw", c.messageSize);
  try {
    const common = { impl, url: server.url, "response-size": c.messageSize };
    const unary = await runWorkerWithServerCpu(
      server,
      {
        ...common,
        workload: "unary",
        "payload-size": c.messageSize,
        concurrency: c.concurrency,
        "warmup-ms": c.warmupMs,
        "duration-ms": c.durationMs,
      },
      c.warmupMs + c.durationMs + 60_000,
    );
    const serverStream = await runWorkerWithServerCpu(
      server,
      { ...common, workload: "server-stream", "payload-size": 0, count: c.streamMessages },
      120_000,
    );
    const problems = [unary, serverStream]
      .filter((r) => r.errors > 0)
      .map((r) => `${r.workload}: ${r.errors} errors, ${r.firstError}`);
    return { impl, unary, serverStream, problems };
  } finally {
    await server.stop();
  }
}
