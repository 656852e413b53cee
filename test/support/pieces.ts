// How the property tests cut a byte stream (or a text) the way the network
// might: at points that fast-check picks, so that every split is tried.

/** The distinct points that `raw` (any naturals, e.g. `fc.array(fc.nat())`) picks in a sequence of `length`, in ascending order. */
export function cutPoints(raw: readonly number[], length: number): number[] {
  return [...new Set(raw.map((n) => n % (length + 1)))].sort((a, b) => a - b);
}

/** `data` cut at the points `raw` picks: every piece in order, empty ones included; joined, they are `data`. */
export function pieces<T extends Uint8Array | string>(data: T, raw: readonly number[]): T[] {
  const out: T[] = [];
  let from = 0;
  for (const to of [...cutPoints(raw, data.length), data.length]) {
    out.push((typeof data === "string" ? data.slice(from, to) : data.subarray(from, to)) as T);
    from = to;
  }
  return out;
}
