/**
 * How a server manages its HTTP/2 connections: keepalive enforcement (gRFC
 * A8), idle and age limits and server keepalive (gRFC A9), the handshake
 * deadline and the number of calls per connection. Part of `ServerOptions`.
 */
export interface ServerConnectionOptions {
  /**
   * Least time between two PINGs a client may send, in ms (gRFC A8's
   * PERMIT_KEEPALIVE_TIME; grpc-go's `EnforcementPolicy.MinTime`). A PING
   * sooner than that, unless the server sent HEADERS or DATA since the last
   * one, is a strike; the third strike ends the connection with GOAWAY
   * ENHANCE_YOUR_CALM "too_many_pings" (a gRPC client then doubles its
   * keepalive time). Default 300,000 (5 minutes).
   */
  permitKeepaliveTimeMs?: number;
  /**
   * Whether clients may ping at that rate while they have no call in
   * flight (A8's PERMIT_KEEPALIVE_WITHOUT_CALLS). When false, a connection
   * with no calls may ping once in two hours. Default false.
   */
  permitKeepaliveWithoutCalls?: boolean;
  /**
   * Closes a connection (graceful GOAWAY "max_idle") that has had no call
   * for this long, in ms (A9's MAX_CONNECTION_IDLE). Default: never.
   */
  maxConnectionIdleMs?: number;
  /**
   * Closes a connection (graceful GOAWAY "max_age") this long after it
   * opened, in ms, give or take a random 10 % per connection so that
   * clients do not all reconnect at once (A9's MAX_CONNECTION_AGE). Calls in
   * flight go on; new calls go to a new connection. Default: never.
   */
  maxConnectionAgeMs?: number;
  /**
   * How long the calls of a connection closed for its age may still run,
   * in ms, after which the connection is closed under them (A9's
   * MAX_CONNECTION_AGE_GRACE). Default: as long as they take.
   */
  maxConnectionAgeGraceMs?: number;
  /**
   * The server PINGs a client this often, in ms, and closes the connection
   * if the PING is not answered within `keepaliveTimeoutMs`: dead peers and
   * half-open connections are found (A9's KEEPALIVE_TIME). Default 7,200,000
   * (2 hours).
   */
  keepaliveTimeMs?: number;
  /** How long a server PING may go unanswered, in ms (A9's KEEPALIVE_TIMEOUT). Default 20,000. */
  keepaliveTimeoutMs?: number;
  /**
   * How long a new connection may take, in ms, from being accepted to the
   * client's first HTTP/2 SETTINGS: TLS handshake, connection preface and
   * SETTINGS (an HTTP/1.1 connection: until its first bytes). A client that
   * is slower, or sends nothing, is disconnected. Default 20,000, the
   * connect timeout gRPC clients themselves allow (so no client within its
   * own deadline is cut off).
   */
  handshakeTimeoutMs?: number;
  /**
   * Calls one connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS);
   * gRPC clients queue the rest, a stream over the limit is refused with
   * REFUSED_STREAM. Default 100, the least RFC 9113 recommends: what one
   * connection can hold scales with it (each call may buffer up to
   * `maxReceiveBytes` of request plus its 1 MiB flow-control window).
   */
  maxConcurrentStreams?: number;
}

/** `ServerConnectionOptions` validated, with their defaults. */
export interface ConnectionSettings {
  readonly permitKeepaliveTimeMs: number;
  readonly permitKeepaliveWithoutCalls: boolean;
  readonly maxConnectionIdleMs: number;
  readonly maxConnectionAgeMs: number;
  readonly maxConnectionAgeGraceMs: number;
  readonly keepaliveTimeMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
  readonly maxConcurrentStreams: number;
}

/** Default of `maxConcurrentStreams`. */
export const defaultMaxConcurrentStreams = 100;

/**
 * Validates the connection options once (a `TypeError` for a bad one) and
 * fills in the defaults; Infinity stands for "never".
 */
export function checkConnectionOptions(o: ServerConnectionOptions): ConnectionSettings {
  const streams = o.maxConcurrentStreams ?? defaultMaxConcurrentStreams;
  if (!Number.isInteger(streams) || streams < 1 || streams > 0xffff_ffff) {
    throw new TypeError(`createServer: maxConcurrentStreams must be a positive integer, got ${String(streams)}`);
  }
  if (o.permitKeepaliveWithoutCalls !== undefined && typeof o.permitKeepaliveWithoutCalls !== "boolean") {
    throw new TypeError("createServer: permitKeepaliveWithoutCalls must be a boolean");
  }
  return {
    permitKeepaliveTimeMs: duration(o.permitKeepaliveTimeMs, "permitKeepaliveTimeMs", 5 * 60_000, 0),
    permitKeepaliveWithoutCalls: o.permitKeepaliveWithoutCalls ?? false,
    maxConnectionIdleMs: duration(o.maxConnectionIdleMs, "maxConnectionIdleMs", Infinity, 1),
    maxConnectionAgeMs: duration(o.maxConnectionAgeMs, "maxConnectionAgeMs", Infinity, 1),
    maxConnectionAgeGraceMs: duration(o.maxConnectionAgeGraceMs, "maxConnectionAgeGraceMs", Infinity, 0),
    keepaliveTimeMs: duration(o.keepaliveTimeMs, "keepaliveTimeMs", 2 * 60 * 60_000, 1),
    keepaliveTimeoutMs: duration(o.keepaliveTimeoutMs, "keepaliveTimeoutMs", 20_000, 1),
    handshakeTimeoutMs: duration(o.handshakeTimeoutMs, "handshakeTimeoutMs", 20_000, 1),
    maxConcurrentStreams: streams,
  };
}

function duration(value: number | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value) || value < min) {
    throw new TypeError(`createServer: ${name} must be a number of ms from ${min} (Infinity for never), got ${String(value)}`);
  }
  return value;
}
