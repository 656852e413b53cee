/**
 * Latencies in a log-linear histogram (HdrHistogram's idea): exact below
 * 1,024 µs, then 512 buckets per power of two (better than 0.2%), in
 * constant memory whatever the number of calls. Values are microseconds.
 */
export interface HistogramData {
  counts: Float64Array;
  count: number;
  min: number;
  max: number;
  sum: number;
}

export class LatencyHistogram {
  static readonly #subBuckets = 512;
  #counts = new Float64Array(1024 + 54 * LatencyHistogram.#subBuckets);
  count = 0;
  min = Infinity;
  max = 0;
  sum = 0;

  /** The histogram as plain data, to send to another thread (which `add`s it to its own). */
  toData(): HistogramData {
    return { counts: this.#counts, count: this.count, min: this.min, max: this.max, sum: this.sum };
  }

  /** Adds the calls of another histogram (from another worker thread) to this one. */
  add(other: HistogramData): void {
    for (let i = 0; i < other.counts.length; i++) this.#counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  record(micros: number): void {
    const v = Math.max(0, Math.round(micros));
    this.#counts[LatencyHistogram.#index(v)]!++;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  static #index(v: number): number {
    if (v < 1024) return v;
    const e = Math.floor(Math.log2(v)) - 9; // v >> e is in [512, 1024)
    const sub = Math.floor(v / 2 ** e);
    return 1024 + (e - 1) * LatencyHistogram.#subBuckets + (sub - 512);
  }

  /** The largest value a bucket holds. */
  static #upper(index: number): number {
    if (index < 1024) return index;
    const e = Math.floor((index - 1024) / LatencyHistogram.#subBuckets) + 1;
    const sub = ((index - 1024) % LatencyHistogram.#subBuckets) + 512;
    return (sub + 1) * 2 ** e - 1;
  }

  /** The value below which `p` (0–1) of the calls fall (never above the maximum). */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(p * this.count));
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(LatencyHistogram.#upper(i), this.max);
    }
    return this.max;
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** `buckets` equal-width bins from the minimum to the maximum, as ghz prints them: upper bound and count. */
  bins(buckets: number): { upperMicros: number; count: number }[] {
    if (this.count === 0) return [];
    const width = Math.max(1, (this.max - this.min) / buckets);
    const out = Array.from({ length: buckets }, (_, i) => ({ upperMicros: this.min + width * (i + 1), count: 0 }));
    for (let i = 0; i < this.#counts.length; i++) {
      const c = this.#counts[i]!;
      if (c === 0) continue;
      const v = Math.min(LatencyHistogram.#upper(i), this.max);
      out[Math.min(buckets - 1, Math.floor((v - this.min) / width))]!.count += c;
    }
    return out;
  }
}
