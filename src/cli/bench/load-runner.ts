import { RpcError, codeName } from "../../index.js";
import { LatencyHistogram } from "./latency-histogram.js";

/** How much load, for how long. */
export interface LoadPlan {
  /** Calls in flight at once (workers). */
  concurrency: number;
  /** Stop after this many calls... */
  total?: number;
  /** ...or once this many milliseconds have passed (calls in flight then still count). */
  durationMs?: number;
  /** Calls started per second at most, over all workers. Default: as fast as the server answers. */
  rps?: number;
}

/** What a run measured. */
export interface LoadResult {
  histogram: LatencyHistogram;
  /** Wall time from the first call started to the last one finished, in ms. */
  elapsedMs: number;
  /** Calls by status code name (OK, UNAVAILABLE...). */
  statuses: Map<string, number>;
  /** Error messages by `CODE: message`, for the report. */
  errors: Map<string, number>;
  /** CPU time the process spent during the run (all its threads), in ms. */
  cpuMs: number;
}

/** Progress every so often while running. */
export type ProgressFn = (done: number, errors: number, elapsedMs: number) => void;

/**
 * Runs `plan` with `callers` (one per connection; worker i uses caller
 * i mod n): each caller makes one call and resolves, or rejects with its
 * error. Latency is measured around each call with a monotonic clock.
 */
export async function runLoad(callers: readonly (() => Promise<unknown>)[], plan: LoadPlan, onProgress?: ProgressFn): Promise<LoadResult> {
  const histogram = new LatencyHistogram();
  const statuses = new Map<string, number>();
  const errors = new Map<string, number>();
  let started = 0;
  let failed = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const stopAt = plan.durationMs !== undefined ? t0 + plan.durationMs : Infinity;
  const total = plan.total ?? Infinity;
  const interval = plan.rps ? 1000 / plan.rps : 0;

  const progress = onProgress ? setInterval(() => onProgress(histogram.count, failed, performance.now() - t0), 250) : undefined;
  const worker = async (caller: () => Promise<unknown>) => {
    for (;;) {
      if (started >= total) return;
      let now = performance.now();
      if (now >= stopAt) return;
      const slot = started++;
      if (interval > 0) {
        const due = t0 + slot * interval;
        if (due > now) {
          if (due >= stopAt) return;
          await new Promise((r) => setTimeout(r, due - now));
        }
        now = performance.now();
      }
      const err = await caller().then(() => undefined, (e: unknown) => RpcError.from(e));
      histogram.record((performance.now() - now) * 1000);
      if (err) {
        failed++;
        const name = codeName(err.code);
        statuses.set(name, (statuses.get(name) ?? 0) + 1);
        const key = `${name}: ${err.rawMessage}`;
        if (errors.size < 100 || errors.has(key)) errors.set(key, (errors.get(key) ?? 0) + 1);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: plan.concurrency }, (_, i) => worker(callers[i % callers.length]!)));
  } finally {
    if (progress) clearInterval(progress);
  }
  // Every call is in the histogram; those that did not fail are the OKs.
  if (histogram.count > failed) statuses.set("OK", histogram.count - failed);
  const cpu = process.cpuUsage(cpu0);
  return { histogram, elapsedMs: performance.now() - t0, statuses, errors, cpuMs: (cpu.user + cpu.system) / 1000 };
}
