/**
 * The `grpc-timeout` header: at most eight ASCII digits and one unit
 * (`H` hours, `M` minutes, `S` seconds, `m` ms, `u` µs, `n` ns).
 */

const units: ReadonlyArray<readonly [string, number]> = [
  ["n", 1e-6],
  ["u", 1e-3],
  ["m", 1],
  ["S", 1e3],
  ["M", 60e3],
  ["H", 3600e3],
];
const maxValue = 99_999_999;

/**
 * Encodes a timeout in milliseconds with the finest unit whose value fits in
 * eight digits, rounding up so that the server never sees a shorter timeout
 * than the client meant. Zero and negative timeouts encode as `0n`; the
 * caller should fail such a call without sending it.
 */
export function encodeTimeout(timeoutMs: number): string {
  if (!(timeoutMs > 0)) return "0n";
  for (const [unit, msPerUnit] of units) {
    const value = Math.ceil(timeoutMs / msPerUnit - 1e-9);
    if (value <= maxValue) return `${value}${unit}`;
  }
  return `${maxValue}H`;
}

const pattern = /^(\d{1,8})([HMSmun])$/;

/** The timeout in milliseconds, or undefined when the header is malformed. */
export function parseTimeout(text: string): number | undefined {
  const m = pattern.exec(text);
  if (!m) return undefined;
  const msPerUnit = units.find(([u]) => u === m[2])![1];
  return Number(m[1]) * msPerUnit;
}

/**
 * The longest delay a Node timer takes (2^31 − 1 ms, about 24.8 days);
 * longer ones fire at once. A deadline further away than this is treated
 * as no deadline for timing purposes (it is still sent on).
 */
export const maxTimerMs = 2 ** 31 - 1;
