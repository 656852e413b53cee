/**
 * How busy each core was, from /proc/stat, so that a measurement can tell
 * how much CPU other processes took on the cores it pinned its processes
 * to. On a shared machine that is the main source of bad figures.
 */
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/stat (USER_HZ), 100 on Linux. */
const TICKS_PER_SECOND = 100;

/** Busy time (user + nice + system) of every core, µs; undefined where /proc/stat is not readable. */
export function readCoreBusyUs(): number[] | undefined {
  let text: string;
  try {
    text = readFileSync("/proc/stat", "latin1");
  } catch {
    return undefined;
  }
  const cores: number[] = [];
  for (const line of text.split("\n")) {
    const match = /^cpu(\d+) (\d+) (\d+) (\d+)/.exec(line);
    if (match) cores[Number(match[1])] = ((Number(match[2]) + Number(match[3]) + Number(match[4])) * 1e6) / TICKS_PER_SECOND;
  }
  return cores;
}

/**
 * The share of one core (percent) that processes other than ours used
 * during a window: the core's busy time minus what our process on it used.
 * Clamped at 0 (the tick counts are coarse).
 */
export function foreignPercent(
  before: number[] | undefined,
  after: number[] | undefined,
  core: number,
  ourCpuUs: number,
  wallUs: number,
): number | undefined {
  if (!before || !after || before[core] === undefined || after[core] === undefined || wallUs <= 0) return undefined;
  const foreign = after[core] - before[core] - ourCpuUs;
  return Math.max(0, Math.round((1000 * foreign) / wallUs) / 10);
}
