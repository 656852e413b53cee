/**
 * Memory. (1) Per open call: a server's RSS and live heap with N
 * StreamingFromServer calls held open (see lib/open-streams.ts), minus the
 * same after a first round of a tenth as many calls was opened and closed
 * (the warm-up).
 * (2) Leaks: a long series of unary calls in chunks, sampling live memory
 * after a forced GC between chunks; growth counts from the end of the first
 * chunk. Servers are driven by h2load; clients call the raw bound server.
 */
import { writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runWorker, startServerProcess, type ServerProcess, type WorkerResult } from "../lib/child.js";
import { frame } from "../lib/envelope.js";
import { runH2load } from "../lib/h2load.js";
import type { ProcessSample } from "../lib/memory-reporter.js";
import { PATHS, requestBytes } from "../lib/messages.js";
import type { Settings } from "../lib/settings.js";
import { round } from "../lib/stats.js";

export interface LeakSeries {
  calls: number;
  samples: Array<{ calls: number } & ProcessSample>;
  /** Live heap after the last chunk minus after the first, bytes. */
  heapGrowth?: number;
  rssGrowth?: number;
  leaked?: boolean;
}

export interface MemoryRow {
  impl: string;
  openStreams?: {
    streams: number;
    base: ProcessSample;
    open: ProcessSample;
    rssPerStream: number;
    heapPerStream: number;
  };
  serverLeak?: LeakSeries;
  clientLeak?: LeakSeries;
  problems: string[];
}

export async function runMemory(
  impls: readonly string[],
  settings: Settings,
  log: (line: string) => void,
): Promise<MemoryRow[]> {
  const m = settings.memory;
  const rows: MemoryRow[] = [];
  for (const impl of impls) {
    const maxMs = impl === "tsgrpc" ? m.leakSubjectMaxMs : m.leakMaxMs;
    const row: MemoryRow = { impl, problems: [] };
    rows.push(row);
    // One server for both: the open calls first, on a fresh process; then the leak series.
    const server = await startServerProcess(impl, 100);
    try {
      // Warm-up round with a tenth of the calls: JIT, pools and lazily built state.
      const first = await holdStreams(server, Math.ceil(m.openStreams / 10), m.openConnections);
      if (first.result.errors) row.problems.push(`open streams: ${first.result.firstError}`);
      else {
        const base = await server.sample(true);
        const second = await holdStreams(server, m.openStreams, m.openConnections);
        if (second.result.errors || !second.open) row.problems.push(`open streams: ${second.result.firstError}`);
        else {
          const open = second.open;
          row.openStreams = {
            streams: m.openStreams,
            base,
            open,
            rssPerStream: round((open.rss - base.rss) / m.openStreams),
            heapPerStream: round((open.heapUsed - base.heapUsed) / m.openStreams),
          };
          log(`memory ${impl}: ${row.openStreams.rssPerStream} B RSS, ${row.openStreams.heapPerStream} B heap per open call`);
        }
      }
      row.serverLeak = judge(await serverLeak(server, settings, maxMs), m.leakToleranceBytes);
      log(`leak server ${impl}: ${row.serverLeak.calls} calls, heap ${fmtGrowth(row.serverLeak.heapGrowth)}`);
    } catch (error) {
      row.problems.push(String(error));
    } finally {
      await server.stop();
    }

    const rawServer = await startServerProcess("raw", 100);
    try {
      const result = await runWorker(
        {
          impl,
          url: rawServer.url,
          workload: "leak",
          "response-size": 100,
          "payload-size": 100,
          concurrency: 64,
          calls: m.leakCalls,
          chunk: m.leakChunk,
          "max-ms": maxMs,
        },
        maxMs + 60_000,
      );
      if (result.errors) row.problems.push(`client leak: ${result.errors} errors, ${result.firstError}`);
      row.clientLeak = judge(result as unknown as LeakSeries, m.leakToleranceBytes);
      log(`leak client ${impl}: ${row.clientLeak.calls} calls, heap ${fmtGrowth(row.clientLeak.heapGrowth)}`);
    } finally {
      await rawServer.stop();
    }
  }
  return rows;
}

function fmtGrowth(bytes: number | undefined): string {
  return bytes === undefined ? "n/a" : `${bytes >= 0 ? "+" : ""}${round(bytes / 1024)} KiB`;
}

/** Open the calls, sample the server while they are open, then close them. */
async function holdStreams(
  server: ServerProcess,
  streams: number,
  connections: number,
): Promise<{ result: WorkerResult; open?: ProcessSample }> {
  let open: ProcessSample | undefined;
  const result = await runWorker(
    { impl: "raw", url: server.url, workload: "open-streams", streams, connections, "response-size": 100 },
    240_000,
    (line, child) => {
      if (!line.startsWith("OPEN ")) return;
      server.sample(true).then(
        (sample) => {
          open = sample;
          child.stdin?.end("close\n");
        },
        () => child.stdin?.end("close\n"),
      );
    },
  );
  // Let the server see the connections go before anything is measured.
  await new Promise((resolve) => setTimeout(resolve, 500));
  return { result, open };
}

async function serverLeak(server: ServerProcess, settings: Settings, maxMs: number): Promise<LeakSeries> {
  const m = settings.memory;
  const dataFile = join(tmpdir(), `tsgrpc-bench-leak-${process.pid}.bin`);
  writeFileSync(dataFile, frame(requestBytes(100)));
  const stopAt = Date.now() + maxMs;
  const samples: LeakSeries["samples"] = [];
  let calls = 0;
  try {
    while (calls < m.leakCalls && Date.now() < stopAt) {
      const run = await runH2load({
        url: server.url + PATHS.unaryCall,
        dataFile,
        connections: settings.server.connections,
        streamsPerConnection: settings.server.streamsPerConnection,
        requests: Math.min(m.leakChunk, m.leakCalls - calls),
      });
      if (run.problems.length) throw new Error(run.problems.join("; "));
      calls += run.succeeded;
      samples.push({ calls, ...(await server.sample(true)) });
    }
  } finally {
    rmSync(dataFile, { force: true });
  }
  return { calls, samples };
}

function judge(series: LeakSeries, toleranceBytes: number): LeakSeries {
  const samples = series.samples ?? [];
  if (samples.length < 3) return { ...series, samples };
  const first = samples[0];
  const last = samples[samples.length - 1];
  const heapGrowth = last.heapUsed - first.heapUsed;
  return {
    calls: series.calls,
    samples,
    heapGrowth,
    rssGrowth: last.rss - first.rss,
    leaked: heapGrowth > toleranceBytes,
  };
}
