// Server-side enforcement of client keepalive (gRFC A8, "Server Enforcement").
//
// Clients may PING a server to keep a connection alive, but a PING costs the
// server a write and a wake-up each time, and Node answers every one it
// receives (only an outright flood trips its own limit). So the server allows
// one PING per `permitKeepaliveTimeMs` (two hours when the connection has no
// call and pings without calls are not permitted), counts a "strike" for each
// PING that comes sooner, and ends the connection with GOAWAY
// ENHANCE_YOUR_CALM "too_many_pings" past `maxPingStrikes`. Sending HEADERS or
// DATA forgives everything: PINGs that follow traffic are how grpc-go and the
// C core measure bandwidth (BDP), and they must never count against a client.
import type * as http2 from "node:http2";

/** Strikes a client may collect before it is told "too_many_pings" (gRFC A8's MAX_PING_STRIKES). */
export const maxPingStrikes = 2;

/** Minimum interval between PINGs on a connection with no calls, unless such pings are permitted: two hours, like TCP keepalive. */
export const idlePingIntervalMs = 2 * 60 * 60 * 1000;

/** GOAWAY debug data that tells a gRPC client to double its keepalive time (gRFC A8). */
export const tooManyPingsDebugData = "too_many_pings";

/** Settings of a `PingPolicy`. */
export interface PingPolicySettings {
  /** Least time between two PINGs of a connection with calls in flight, in ms (A8's PERMIT_KEEPALIVE_TIME). */
  readonly permitKeepaliveTimeMs: number;
  /** Whether a connection with no calls may ping at that rate too (A8's PERMIT_KEEPALIVE_WITHOUT_CALLS). */
  readonly permitKeepaliveWithoutCalls: boolean;
}

/** What a received PING means: fine, a strike, or one strike too many (send GOAWAY and close). */
export type PingVerdict = "ok" | "strike" | "too_many_pings";

/**
 * The enforcement state of one connection. Deterministic: the caller passes
 * the time (a monotonic clock in ms) and the number of calls in flight.
 */
export class PingPolicy {
  readonly #settings: PingPolicySettings;
  #strikes = 0;
  /** When the last PING came; -Infinity: none since the last response frame. */
  #lastPingAt = -Infinity;
  /** Set when HEADERS or DATA went out since the last PING. */
  #sentSinceLastPing = false;

  constructor(settings: PingPolicySettings) {
    this.#settings = settings;
  }

  /** Strikes so far. */
  get strikes(): number {
    return this.#strikes;
  }

  /** The server sent HEADERS or DATA: the next PING is fine, and past strikes are forgiven. */
  responseSent(): void {
    this.#sentSinceLastPing = true;
  }

  /** A PING (not an ACK) arrived at `nowMs` while `activeCalls` calls were in flight. */
  pingReceived(nowMs: number, activeCalls: number): PingVerdict {
    const lastPingAt = this.#lastPingAt;
    // Every PING moves the reference, a strike too, as in the C core and grpc-go: a client that
    // keeps pinging a little too often collects a strike each time, not every other time.
    this.#lastPingAt = nowMs;
    if (this.#sentSinceLastPing) {
      this.#sentSinceLastPing = false;
      this.#strikes = 0;
      return "ok";
    }
    const s = this.#settings;
    const minIntervalMs = activeCalls === 0 && !s.permitKeepaliveWithoutCalls ? idlePingIntervalMs : s.permitKeepaliveTimeMs;
    if (nowMs - lastPingAt >= minIntervalMs) return "ok";
    this.#strikes++;
    return this.#strikes > maxPingStrikes ? "too_many_pings" : "strike";
  }
}

const kPingPolicy = Symbol("tsgrpc.pingPolicy");
type PolicedSession = http2.Http2Session & { [kPingPolicy]?: PingPolicy };

/** Puts `policy` in charge of `session`'s PINGs, for `pingPolicyOf`. */
export function attachPingPolicy(session: http2.Http2Session, policy: PingPolicy): void {
  (session as PolicedSession)[kPingPolicy] = policy;
}

/** The ping policy of `stream`'s connection, if it has one: wires look it up once and tell it when they send. */
export function pingPolicyOf(stream: http2.Http2Stream): PingPolicy | undefined {
  return (stream.session as PolicedSession | undefined)?.[kPingPolicy];
}
