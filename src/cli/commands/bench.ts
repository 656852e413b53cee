import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { RpcError, type Code } from "../../index.js";
import { descFilesImportsFirst } from "../../internal/imports-first.js";
import { CliError } from "../cli-error.js";
import { withSession, type CommandContext } from "../command-context.js";
import { parseCount, parseDurationMs } from "../options.js";
import { requestSource } from "../request-source.js";
import { benchJson, benchText } from "../bench/bench-report.js";
import { runBenchJob, type BenchJob } from "../bench/bench-job.js";
import { LatencyHistogram, type HistogramData } from "../bench/latency-histogram.js";
import type { LoadPlan, LoadResult } from "../bench/load-runner.js";
import { findMethod } from "./call.js";

export const benchUsage = "tsgrpc bench <target> <package.Service/Method> -d '<json>' [-c N] [--connections C] [--cpus T] [--duration 10s | -n N] [--rps R]";

/**
 * A load generator: calls a method with the same request(s) from
 * `--concurrency` workers over `--connections` connections (one channel
 * each), for `--total` calls or `--duration`, optionally capped at `--rps`;
 * then prints a latency histogram, percentiles, throughput and the status
 * codes (`--format json` for scripts). `--cpus T` spreads the connections
 * over T threads, for servers faster than one core can load. Each
 * connection makes one call before the clock starts, so that connecting is
 * not measured.
 */
export async function benchCommand(ctx: CommandContext): Promise<number> {
  const { flags, io } = ctx;
  if (ctx.args[1] === undefined) throw new CliError("no method given", { hint: `usage: ${benchUsage}` });
  const format = flags.format ?? "text";
  if (format !== "text" && format !== "json") throw new CliError(`--format must be text or json, not "${format}"`);
  const concurrency = parseCount(flags.concurrency, "--concurrency", 50);
  const connections = parseCount(flags.connections, "--connections", 1);
  if (connections > concurrency) throw new CliError("--connections cannot exceed --concurrency (each connection needs a worker)");
  const threads = parseCount(flags.cpus, "--cpus", 1);
  if (threads > connections) throw new CliError("--cpus cannot exceed --connections (each thread has its own connections)");
  if (threads > availableParallelism()) io.err(`warning: --cpus ${threads} is more than the ${availableParallelism()} this machine has\n`);
  const durationMs = parseDurationMs(flags.duration, "--duration");
  if (durationMs !== undefined && flags.total !== undefined) throw new CliError("give --duration or --total, not both");
  const total = durationMs === undefined ? parseCount(flags.total, "--total", 200) : undefined;
  const rps = flags.rps === undefined ? undefined : parseCount(flags.rps, "--rps", 1);

  return withSession(ctx, benchUsage, async ({ metadata, timeoutMs, schema }) => {
    const method = await findMethod(schema, ctx.args[1]!);
    const requests: Uint8Array[] = [];
    for await (const m of requestSource(flags.data, method.input, schema, io.stdin)) requests.push(toBinary(method.input, m as never));
    if (requests.length > 1 && (method.methodKind === "unary" || method.methodKind === "server_streaming")) {
      throw new CliError(`${method.name} takes one request message, and -d holds ${requests.length}`);
    }
    const base: Omit<BenchJob, "connections" | "plan"> = {
      target: ctx.args[0]!,
      flags,
      files: descFilesImportsFirst([method.parent.file]).map((f) => toBinary(FileDescriptorProtoSchema, f.proto)),
      service: method.parent.typeName,
      method: method.name,
      requests,
      metadata: [...metadata],
      timeoutMs,
    };
    const jobs = Array.from({ length: threads }, (_, i) => ({
      ...base,
      connections: share(connections, threads, i),
      plan: {
        concurrency: share(concurrency, threads, i),
        ...(total !== undefined ? { total: share(total, threads, i) } : {}),
        ...(durationMs !== undefined ? { durationMs } : {}),
        ...(rps !== undefined ? { rps: rps / threads } : {}),
      } satisfies LoadPlan,
    }));
    const started = performance.now();
    const progress = io.interactive
      ? (done: number, errors: number) =>
          io.err(`\r\x1b[K[${((performance.now() - started) / 1000).toFixed(1)}s] ${done} calls, ${Math.round((done / (performance.now() - started)) * 1000)}/s, ${errors} errors`)
      : undefined;
    const result = threads === 1 ? await runBenchJob(jobs[0]!, progress) : await runThreads(jobs, progress);
    if (progress) io.err("\r\x1b[K");
    const report = benchJson({ target: ctx.args[0]!, method: `${method.parent.typeName}/${method.name}`, concurrency, connections, rps, threads }, result);
    io.out(format === "json" ? `${JSON.stringify(report, null, 2)}\n` : benchText(report));
    return 0;
  });
}

/** Part `i` of `n` equal shares of `amount` (the first ones get the remainder). */
function share(amount: number, n: number, i: number): number {
  return Math.floor(amount / n) + (i < amount % n ? 1 : 0);
}

/** `file` and everything it imports, imports first. */
type WorkerMessage =
  | { kind: "progress"; done: number; errors: number }
  | { kind: "done"; histogram: HistogramData; elapsedMs: number; statuses: [string, number][]; errors: [string, number][] }
  | { kind: "failed"; code: number | undefined; message: string };

/** Runs each job in a worker thread and merges what they measured. */
async function runThreads(jobs: BenchJob[], progress: ((done: number, errors: number) => void) | undefined): Promise<LoadResult> {
  const here = import.meta.url;
  const entry = new URL(here.endsWith(".ts") ? "../bench/load-worker.ts" : "../bench/load-worker.js", here);
  const counts = jobs.map(() => ({ done: 0, errors: 0 }));
  // Run from the TypeScript sources (tsgrpc's own tests), a thread registers tsx first.
  const fromSources = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  const cpu0 = process.cpuUsage();
  const workers = jobs.map((job) => (here.endsWith(".ts") ? new Worker(fromSources, { eval: true, workerData: job }) : new Worker(entry, { workerData: job })));
  try {
    const results = await Promise.all(
      workers.map(
        (w, i) =>
          new Promise<Extract<WorkerMessage, { kind: "done" }>>((resolve, reject) => {
            w.on("message", (m: WorkerMessage) => {
              if (m.kind === "progress") {
                counts[i] = m;
                progress?.(counts.reduce((a, c) => a + c.done, 0), counts.reduce((a, c) => a + c.errors, 0));
              } else if (m.kind === "done") resolve(m);
              else reject(m.code !== undefined ? new RpcError(m.code as Code, m.message) : new CliError(`bench thread: ${m.message}`));
            });
            w.on("error", reject);
            w.on("exit", (code) => reject(new CliError(`bench thread exited (${code}) before it finished`)));
          }),
      ),
    );
    const histogram = new LatencyHistogram();
    const statuses = new Map<string, number>();
    const errors = new Map<string, number>();
    for (const r of results) {
      histogram.add(r.histogram);
      for (const [k, v] of r.statuses) statuses.set(k, (statuses.get(k) ?? 0) + v);
      for (const [k, v] of r.errors) errors.set(k, (errors.get(k) ?? 0) + v);
    }
    // process.cpuUsage() counts every thread: the whole run, thread start-up included.
    const cpu = process.cpuUsage(cpu0);
    return { histogram, elapsedMs: Math.max(...results.map((r) => r.elapsedMs)), statuses, errors, cpuMs: (cpu.user + cpu.system) / 1000 };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
