import type { LoadResult } from "./load-runner.js";

/** What a run was. */
export interface BenchSetup {
  target: string;
  method: string;
  concurrency: number;
  connections: number;
  rps: number | undefined;
  threads: number;
}

/** The report of `tsgrpc bench --format json`: times in milliseconds. */
export interface BenchJson {
  target: string;
  method: string;
  concurrency: number;
  connections: number;
  rps: number | null;
  count: number;
  totalMs: number;
  /** Calls finished per second, over the whole run. */
  callsPerSecond: number;
  latencyMs: { min: number; mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
  /** Ten equal bins from the fastest to the slowest call: upper bound (ms) and count. */
  histogram: { upperMs: number; count: number }[];
  /** Calls by status code name. */
  statuses: Record<string, number>;
  /** Failures by "CODE: message". */
  errors: Record<string, number>;
  /**
   * CPU the load generator itself used, in percent of one core (all its
   * threads): near 100 per thread (`threads`), the generator, not the
   * server, may be what limits the figures.
   */
  clientCpuPercent: number;
  threads: number;
}

const ms = (micros: number) => Math.round(micros) / 1000;

export function benchJson(setup: BenchSetup, r: LoadResult): BenchJson {
  const h = r.histogram;
  const statuses: Record<string, number> = {};
  if (r.statuses.has("OK")) statuses.OK = r.statuses.get("OK")!;
  for (const [k, v] of [...r.statuses].sort()) if (k !== "OK") statuses[k] = v;
  return {
    target: setup.target,
    method: setup.method,
    concurrency: setup.concurrency,
    connections: setup.connections,
    rps: setup.rps ?? null,
    count: h.count,
    totalMs: Math.round(r.elapsedMs * 1000) / 1000,
    callsPerSecond: r.elapsedMs > 0 ? Math.round((h.count / r.elapsedMs) * 1000 * 100) / 100 : 0,
    latencyMs: {
      min: ms(h.count ? h.min : 0),
      mean: ms(h.mean),
      p50: ms(h.percentile(0.5)),
      p90: ms(h.percentile(0.9)),
      p99: ms(h.percentile(0.99)),
      p999: ms(h.percentile(0.999)),
      max: ms(h.max),
    },
    histogram: h.bins(10).map((b) => ({ upperMs: ms(b.upperMicros), count: b.count })),
    statuses,
    errors: Object.fromEntries([...r.errors].sort((a, b) => b[1] - a[1])),
    clientCpuPercent: r.elapsedMs > 0 ? Math.round((r.cpuMs / r.elapsedMs) * 1000) / 10 : 0,
    threads: setup.threads,
  };
}

export function benchText(j: BenchJson): string {
  const f = (v: number) => `${v.toFixed(2)} ms`;
  const lines = [
    "",
    "Summary:",
    `  Target:       ${j.target}  ${j.method}`,
    `  Load:         ${j.concurrency} concurrent on ${j.connections} connection${j.connections === 1 ? "" : "s"}${j.rps ? `, at most ${j.rps} calls/s` : ""}`,
    `  Count:        ${j.count}`,
    `  Total:        ${f(j.totalMs)}`,
    `  Slowest:      ${f(j.latencyMs.max)}`,
    `  Fastest:      ${f(j.latencyMs.min)}`,
    `  Average:      ${f(j.latencyMs.mean)}`,
    `  Calls/sec:    ${j.callsPerSecond.toFixed(2)}`,
    `  Client CPU:   ${j.clientCpuPercent.toFixed(0)}% of a core${j.threads > 1 ? ` (${j.threads} threads)` : ""}`,
    "",
    "Latency histogram:",
  ];
  const most = Math.max(1, ...j.histogram.map((b) => b.count));
  for (const b of j.histogram) lines.push(`  ${b.upperMs.toFixed(3).padStart(10)} [${String(b.count).padStart(String(j.count).length)}] |${"∎".repeat(Math.round((b.count / most) * 40))}`);
  lines.push(
    "",
    "Latency distribution:",
    `  50 %    in ${f(j.latencyMs.p50)}`,
    `  90 %    in ${f(j.latencyMs.p90)}`,
    `  99 %    in ${f(j.latencyMs.p99)}`,
    `  99.9 %  in ${f(j.latencyMs.p999)}`,
    `  max        ${f(j.latencyMs.max)}`,
    "",
    "Status code distribution:",
    ...Object.entries(j.statuses).map(([k, v]) => `  [${k}]   ${v} call${v === 1 ? "" : "s"}`),
  );
  if (j.clientCpuPercent >= 90 * j.threads) {
    lines.push("", `Note: the load generator kept ${j.threads === 1 ? "its core" : "its threads"} busy, so it may be what limits these figures; --cpus spreads the connections over more threads, on a machine with cores to spare.`);
  }
  const errs = Object.entries(j.errors);
  if (errs.length) {
    lines.push("", "Errors:");
    for (const [k, v] of errs.slice(0, 10)) lines.push(`  [${v}]   ${k}`);
  }
  return `${lines.join("\n")}\n`;
}
