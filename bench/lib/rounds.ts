/**
 * Interleaved tries and the best of them: on a shared machine, noise comes
 * in bursts of seconds to minutes that nothing on the machine can see (the
 * hypervisor reports no steal time here). Measuring every implementation
 * once per round, round after round, spreads a burst over all of them. Noise
 * only ever slows a try down (it takes CPU from the pinned process; nothing
 * lends it more than the machine has), so the fastest try of each is the
 * closest to what the code costs. A median would still report a burst that
 * caught two tries of three, as one in the first run with rounds did.
 */

/** Runs `measure` for every implementation, `rounds` times, implementations in turn within each round. */
export async function interleaved<T>(impls: readonly string[], rounds: number, measure: (impl: string) => Promise<T>): Promise<Map<string, T[]>> {
  const tries = new Map<string, T[]>(impls.map((impl) => [impl, []]));
  for (let round = 0; round < rounds; round++) {
    for (const impl of impls) tries.get(impl)!.push(await measure(impl));
  }
  return tries;
}

/** The try with the highest `value` (a rate: req/s, calls/s); tries without one rank lowest. */
export function bestTry<T>(tries: readonly T[], value: (t: T) => number | undefined): T {
  if (tries.length === 0) throw new Error("bestTry: no tries");
  let best: T = tries[0]!;
  for (const t of tries) if ((value(t) ?? -Infinity) > (value(best) ?? -Infinity)) best = t;
  return best;
}

/** How far the tries spread: half their range, as ± percent of their median; undefined for fewer than two values. */
export function spreadPercent(values: readonly (number | undefined)[]): number | undefined {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length < 2) return undefined;
  const median = v[Math.floor((v.length - 1) / 2)]!;
  return median > 0 ? Math.round((50 * (v[v.length - 1]! - v[0]!)) / median) : undefined;
}
