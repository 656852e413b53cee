import type { KeepaliveSettings } from "../internal/transport/subchannel.js";

/** Client keepalive (gRFC A8): pings that find a dead connection when no data would. */
export interface KeepaliveOptions {
  /** Time between pings, in ms. Default: no pings. gRPC servers refuse pings more often than every 5 minutes by default: agree on a value with the server's operators. */
  timeMs?: number;
  /** Time to wait for a ping's ack before the connection is declared dead and its calls fail with UNAVAILABLE, in ms. Default 20,000. */
  timeoutMs?: number;
  /** Ping also while no call is in flight. Default false. */
  permitWithoutCalls?: boolean;
}

/** Checks `ChannelOptions.keepalive`; throws a TypeError naming the bad field. */
export function checkKeepalive(k: KeepaliveOptions | undefined): KeepaliveSettings {
  if (k === undefined) return { timeMs: Infinity, timeoutMs: 20_000, permitWithoutCalls: false };
  if (typeof k !== "object" || k === null) throw new TypeError("createChannel: keepalive must be an object");
  const timeMs = checkTimeoutOption(k.timeMs, "keepalive.timeMs", Infinity);
  const timeoutMs = checkTimeoutOption(k.timeoutMs, "keepalive.timeoutMs", 20_000);
  // As gRPC: no faster than every 10 s, whatever is asked (servers would call it abuse).
  return { timeMs: Math.max(timeMs, minKeepaliveTimeMs), timeoutMs, permitWithoutCalls: k.permitWithoutCalls === true };
}

/** The floor of `keepalive.timeMs`. Lowered in tests only. @internal */
export let minKeepaliveTimeMs = 10_000;

/** For tests of keepalive: lets pings go faster than the 10 s floor. @internal */
export function setMinKeepaliveTimeMs(ms: number): void {
  minKeepaliveTimeMs = ms;
}

/** A duration option in ms: a positive number (Infinity allowed) or undefined for `fallback`. */
export function checkTimeoutOption(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value) || value <= 0) {
    throw new TypeError(`createChannel: ${name} must be a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}
