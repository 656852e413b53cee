/** Small statistics helpers for latency samples (µs). */

/** The p-th percentile (0..100) by nearest rank; NaN for no samples. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export interface LatencySummary {
  count: number;
  p50Us: number;
  p99Us: number;
  /** p99.9: the tail the p99 hides (GC pauses, timers). */
  p999Us: number;
  maxUs: number;
}

export function summarize(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  return {
    count: sorted.length,
    p50Us: round(percentile(sorted, 50)),
    p99Us: round(percentile(sorted, 99)),
    p999Us: round(percentile(sorted, 99.9)),
    maxUs: round(sorted.length ? sorted[sorted.length - 1] : Number.NaN),
  };
}

export function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
