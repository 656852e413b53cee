/**
 * One more try for a measurement that other processes disturbed: on a shared
 * machine a neighbour's test run can take a pinned core for seconds. In a
 * full run, a row whose pinned cores lost more than the allowed share to
 * other processes is measured again once, and the less disturbed of the two
 * is kept (both figures are marked with that share in the report).
 */
import type { Settings } from "./settings.js";

export async function measureUndisturbed<T>(
  settings: Settings,
  log: (line: string) => void,
  label: string,
  measure: () => Promise<T>,
  otherCpuPercent: (row: T) => number | undefined,
): Promise<T> {
  const first = await measure();
  const disturbed = otherCpuPercent(first);
  if (settings.mode !== "full" || disturbed === undefined || disturbed <= settings.retryAboveOtherCpuPercent) return first;
  log(`${label}: other processes took ${disturbed} % of a pinned core; measuring again`);
  const second = await measure();
  return (otherCpuPercent(second) ?? Infinity) < disturbed ? second : first;
}
