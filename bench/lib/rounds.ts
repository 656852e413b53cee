/**
 * Interleaved tries and their median: on a shared machine, noise comes in
 * bursts of seconds to minutes that nothing on the machine can see (the
 * hypervisor reports no steal time here). Measuring every implementation
 * once per round, round after round, spreads a burst over all of them, and
 * the median try of each drops the burst.
 */

/** Runs `measure` for every implementation, `rounds` times, implementations in turn within each round. */
export async function interleaved<T>(impls: readonly string[], rounds: number, measure: (impl: string) => Promise<T>): Promise<Map<string, T[]>> {
  const tries = new Map<string, T[]>(impls.map((impl) => [impl, []]));
  for (let round = 0; round < rounds; round++) {
    for (const impl of impls) tries.get(impl)!.push(await measure(impl));
  }
  return tries;
}

/** The try with the median `value` (the higher middle one of an even count); tries without a value rank lowest. */
export function medianTry<T>(tries: readonly T[], value: (t: T) => number | undefined): T {
  if (tries.length === 0) throw new Error("medianTry: no tries");
  const ranked = [...tries].sort((a, b) => (value(a) ?? -Infinity) - (value(b) ?? -Infinity));
  return ranked[Math.floor(ranked.length / 2)]!;
}

/** How far the tries spread around their median, as ± percent of it (half the range); undefined for fewer than two values. */
export function spreadPercent(values: readonly (number | undefined)[]): number | undefined {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length < 2) return undefined;
  const median = v[Math.floor((v.length - 1) / 2)]!;
  return median > 0 ? Math.round((50 * (v[v.length - 1]! - v[0]!)) / median) : undefined;
}
