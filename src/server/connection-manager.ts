// The life of a server's HTTP/2 connections after they are accepted: the
// handshake deadline, keepalive enforcement (gRFC A8), idle and age limits
// with graceful GOAWAY, server keepalive (gRFC A9), and the server's own
// graceful shutdown. One manager per server; one `ManagedConnection` per
// session.
import * as http2 from "node:http2";
import { closeGracefully, closeWithError } from "../internal/transport/goaway.js";
import { attachPingPolicy, PingPolicy, tooManyPingsDebugData } from "../internal/transport/keepalive-enforcement.js";
import { acceptedAtOf } from "../internal/transport/http-listener.js";
import { onStreamClose, type StreamCloseHook } from "../internal/transport/stream-close.js";
import { maxTimerMs } from "../internal/grpc-timeout.js";
import type { ConnectionSettings } from "./connection-options.js";

/**
 * After this long (or the keepalive time, if shorter) without a call
 * starting or ending, the server PINGs the client once (until the next call): a session that stopped reading (Node
 * keeps the socket of a session that sent a fatal GOAWAY open, and no event
 * tells) or a peer that is gone is found without waiting for the keepalive
 * time. A live client answers at once; the PING costs it nothing.
 */
const quietProbeMs = 10_000;

/** How long the first GOAWAY of a graceful close waits for its PING to be answered, at most. */
const drainPingTimeoutMs = 10_000;

/** How long the first GOAWAY of a graceful close waits on a connection with no call (see `GracefulCloseOptions.idleWaitMs`). */
const drainIdleWaitMs = 200;

/**
 * How long a connection that reaches its maximum age with no call in flight
 * waits for its next call before it is sent away all the same.
 *
 * Node's HTTP/2 (nghttp2) refuses every stream that arrives after a GOAWAY
 * has gone out, even one with last-stream-id 2^31-1, where gRPC servers in
 * C and Go accept streams until the client has acknowledged it. A call the
 * client starts as the GOAWAY is on its way is refused: clients that retry
 * such calls transparently (grpc-go, grpc-js, tsgrpc, Java) do; some C-core
 * releases fail them with UNAVAILABLE. Sent while a call is in flight, the
 * GOAWAY reaches the client before that call's response, so a client that
 * waits for each call before starting the next moves to a new connection
 * without a race. On a connection with nothing in flight, the GOAWAY waits
 * for the next call (it then precedes that call's response), or this long:
 * a client whose calls are further apart than this races a GOAWAY seldom.
 */
const agedIdleWaitMs = 1000;

/** What the manager has done, for tests and diagnostics. */
export interface ConnectionCounters {
  accepted: number;
  pingsReceived: number;
  pingStrikes: number;
  tooManyPings: number;
  maxIdle: number;
  maxAge: number;
  graceExpired: number;
  handshakeTimeouts: number;
  keepaliveTimeouts: number;
}

/** A clock for the manager's decisions: monotonic ms. */
export type Clock = () => number;

/** Tracks and polices every HTTP/2 session of one server. */
export class ConnectionManager {
  readonly settings: ConnectionSettings;
  readonly counters: ConnectionCounters = {
    accepted: 0,
    pingsReceived: 0,
    pingStrikes: 0,
    tooManyPings: 0,
    maxIdle: 0,
    maxAge: 0,
    graceExpired: 0,
    handshakeTimeouts: 0,
    keepaliveTimeouts: 0,
  };
  readonly now: Clock;
  readonly #connections = new Map<http2.ServerHttp2Session, ManagedConnection>();
  #shuttingDown = false;
  #emptyWaiters: (() => void)[] = [];

  constructor(settings: ConnectionSettings, now: Clock = () => performance.now()) {
    this.settings = settings;
    this.now = now;
  }

  /** Sessions open now. */
  get size(): number {
    return this.#connections.size;
  }

  /** Takes charge of a new session (from the server's 'session' event). */
  add(session: http2.ServerHttp2Session): void {
    this.counters.accepted++;
    const connection = new ManagedConnection(this, session);
    this.#connections.set(session, connection);
    session.once("close", () => {
      connection.dispose();
      this.#connections.delete(session);
      if (this.#connections.size === 0) {
        const waiters = this.#emptyWaiters;
        this.#emptyWaiters = [];
        for (const w of waiters) w();
      }
    });
    if (this.#shuttingDown) connection.drain("server_shutdown");
  }

  /** Graceful GOAWAY on every session, now and for any that arrives later (the server is closing). */
  shutdown(): void {
    this.#shuttingDown = true;
    for (const c of this.#connections.values()) c.drain("server_shutdown");
  }

  /** Resolves once no session is open. */
  whenEmpty(): Promise<void> {
    if (this.#connections.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#emptyWaiters.push(resolve));
  }

  /** Destroys every session (the end of a grace period). */
  destroyAll(): void {
    for (const session of [...this.#connections.keys()]) session.destroy();
  }
}

const kConnection = Symbol("tsgrpc.managedConnection");
type ManagedSession = http2.ServerHttp2Session & { [kConnection]?: ManagedConnection };

/**
 * Counts `stream` on its session's connection, if a manager has the
 * session: called by the server for every stream it receives, before the
 * dispatch. (Not a 'stream' listener per session: a second listener would
 * make Node copy the listener list on every stream.)
 */
export function trackStream(stream: http2.ServerHttp2Stream): void {
  (stream.session as ManagedSession | undefined)?.[kConnection]?.streamOpened(stream);
}

/** One session's timers and policy. */
class ManagedConnection implements StreamCloseHook {
  readonly #manager: ConnectionManager;
  readonly #session: http2.ServerHttp2Session;
  readonly #policy: PingPolicy;
  #streams = 0;
  /** When the last call started or ended (or the session opened). */
  #lastStreamEventAt: number;
  /** When the session last had no call (valid while #streams is 0). */
  #idleSince: number;
  #draining = false;
  /** Past its maximum age with no call in flight: the next call starts the drain (see `agedIdleWaitMs`). */
  #agedOut = false;
  #disposed = false;
  /** A quiet-session PING is due once things have been quiet for `quietProbeMs`. */
  #probeDue = true;
  /** When the last server PING was answered (or the session opened). */
  #lastAckAt: number;
  #pingOutstanding = false;
  readonly #handshakeTimer: Alarm;
  readonly #idleTimer: Alarm;
  readonly #ageTimer: Alarm;
  readonly #graceTimer: Alarm;
  readonly #pingTimer: Alarm;
  readonly #ackTimer: Alarm;

  constructor(manager: ConnectionManager, session: http2.ServerHttp2Session) {
    this.#manager = manager;
    this.#session = session;
    const s = manager.settings;
    const now = manager.now();
    this.#handshakeTimer = new Alarm(manager.now);
    this.#idleTimer = new Alarm(manager.now);
    this.#ageTimer = new Alarm(manager.now);
    this.#graceTimer = new Alarm(manager.now);
    this.#pingTimer = new Alarm(manager.now);
    this.#ackTimer = new Alarm(manager.now);
    this.#lastStreamEventAt = now;
    this.#idleSince = now;
    this.#lastAckAt = now;
    this.#policy = new PingPolicy(s);
    attachPingPolicy(session, this.#policy);

    (session as ManagedSession)[kConnection] = this;
    session.on("ping", () => this.#pingReceived());

    // The handshake ends with the client's SETTINGS; its deadline counts from the accept.
    session.once("remoteSettings", () => this.#handshakeTimer.clear());
    this.#handshakeTimer.set(acceptedAt(session, now) + s.handshakeTimeoutMs, () => {
      this.#manager.counters.handshakeTimeouts++;
      session.destroy();
    });

    if (Number.isFinite(s.maxConnectionIdleMs)) this.#idleTimer.set(now + s.maxConnectionIdleMs, () => this.#checkIdle());
    if (Number.isFinite(s.maxConnectionAgeMs)) {
      // ±10 % per connection (gRFC A9), so that connections made together do not all end together.
      const ageMs = s.maxConnectionAgeMs * (0.9 + 0.2 * Math.random());
      this.#ageTimer.set(now + ageMs, () => this.#ageReached());
    }
    this.#schedulePing();
  }

  /**
   * Graceful close: two GOAWAYs, then the session ends with its last call.
   * With a finite `graceMs`, calls still running that long after the second
   * GOAWAY are cut off by closing the connection.
   */
  drain(reason: string, graceMs = Infinity): void {
    if (this.#draining || this.#disposed) return;
    this.#draining = true;
    // No keepalive PING on a draining connection: its calls only finish.
    this.#pingTimer.clear();
    this.#ackTimer.clear();
    this.#idleTimer.clear();
    this.#ageTimer.clear();
    closeGracefully(this.#session, reason, {
      ackTimeoutMs: Math.min(drainPingTimeoutMs, this.#manager.settings.keepaliveTimeoutMs),
      idle: () => this.#streams === 0,
      idleWaitMs: drainIdleWaitMs,
      onFinalGoaway: () => {
        if (!Number.isFinite(graceMs) || this.#disposed) return;
        this.#graceTimer.set(this.#manager.now() + graceMs, () => {
          this.#manager.counters.graceExpired++;
          this.#session.destroy();
        });
      },
    });
  }

  #ageReached(): void {
    if (this.#streams > 0) {
      this.#drainForAge();
      return;
    }
    this.#agedOut = true;
    this.#ageTimer.set(this.#manager.now() + agedIdleWaitMs, () => this.#drainForAge());
  }

  #drainForAge(): void {
    if (this.#draining || this.#disposed) return;
    this.#manager.counters.maxAge++;
    this.drain("max_age", this.#manager.settings.maxConnectionAgeGraceMs);
  }

  /** The session closed: stop every timer. */
  dispose(): void {
    this.#disposed = true;
    this.#handshakeTimer.clear();
    this.#idleTimer.clear();
    this.#ageTimer.clear();
    this.#graceTimer.clear();
    this.#pingTimer.clear();
    this.#ackTimer.clear();
  }

  /** A stream opened on this session (see `trackStream`). */
  streamOpened(stream: http2.ServerHttp2Stream): void {
    this.#streams++;
    this.#streamEvent();
    onStreamClose(stream, this);
    if (this.#agedOut) this.#drainForAge();
  }

  /** Part of StreamCloseHook: a stream of this session closed. */
  streamClosed(): void {
    this.#streams--;
    this.#streamEvent();
    if (this.#streams === 0) this.#idleSince = this.#lastStreamEventAt;
  }

  #streamEvent(): void {
    // HEADERS go out for a new call (the response) and for one that ends (trailers, or RST_STREAM).
    this.#policy.responseSent();
    this.#lastStreamEventAt = this.#manager.now();
    if (!this.#probeDue) {
      this.#probeDue = true;
      this.#schedulePing();
    }
  }

  #pingReceived(): void {
    const counters = this.#manager.counters;
    counters.pingsReceived++;
    const verdict = this.#policy.pingReceived(this.#manager.now(), this.#streams);
    if (verdict === "ok") return;
    counters.pingStrikes++;
    if (verdict === "too_many_pings") {
      counters.tooManyPings++;
      this.dispose();
      closeWithError(this.#session, http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, tooManyPingsDebugData);
    }
  }

  #checkIdle(): void {
    const maxIdleMs = this.#manager.settings.maxConnectionIdleMs;
    const now = this.#manager.now();
    // A call since the timer was set: look again when the connection could first have been idle long enough.
    const idleFrom = this.#streams === 0 ? this.#idleSince : now;
    if (now - idleFrom >= maxIdleMs - 1) {
      this.#manager.counters.maxIdle++;
      this.drain("max_idle");
      return;
    }
    this.#idleTimer.set(idleFrom + maxIdleMs, () => this.#checkIdle());
  }

  /** When the next server PING is due: the keepalive time after the last answer, or a quiet-session probe. */
  #nextPingAt(): number {
    const s = this.#manager.settings;
    const keepaliveAt = this.#lastAckAt + s.keepaliveTimeMs;
    return this.#probeDue ? Math.min(keepaliveAt, this.#lastStreamEventAt + Math.min(quietProbeMs, s.keepaliveTimeMs)) : keepaliveAt;
  }

  #schedulePing(): void {
    if (this.#draining || this.#disposed || this.#pingOutstanding) return;
    this.#pingTimer.set(this.#nextPingAt(), () => this.#pingIfDue());
  }

  #pingIfDue(): void {
    if (this.#draining || this.#disposed) return;
    // Calls came and went since the timer was set: the probe moves later.
    if (this.#manager.now() < this.#nextPingAt() - 1) {
      this.#schedulePing();
      return;
    }
    this.#probeDue = false;
    this.#pingOutstanding = true;
    const session = this.#session;
    this.#ackTimer.set(this.#manager.now() + this.#manager.settings.keepaliveTimeoutMs, () => {
      this.#manager.counters.keepaliveTimeouts++;
      session.destroy();
    });
    const answered = (error: Error | null) => {
      this.#ackTimer.clear();
      this.#pingOutstanding = false;
      if (error || this.#disposed) return;
      this.#lastAckAt = this.#manager.now();
      this.#schedulePing();
    };
    try {
      if (!session.ping(answered)) answered(new Error("too many PINGs outstanding"));
    } catch {
      // The session is closing: its 'close' ends the timers.
    }
  }
}

/** When the listener accepted the session's connection (before TLS and the preface), or `fallback`. */
function acceptedAt(session: http2.ServerHttp2Session, fallback: number): number {
  try {
    return acceptedAtOf(session.socket) ?? fallback;
  } catch {
    return fallback;
  }
}

/**
 * One unref'd timer that fires at a time on the manager's clock, however
 * far (setTimeout alone fires at once past 2^31-1 ms). Setting it again
 * replaces the previous time.
 */
class Alarm {
  readonly #now: Clock;
  #timer: NodeJS.Timeout | undefined;

  constructor(now: Clock) {
    this.#now = now;
  }

  set(atMs: number, fn: () => void): void {
    this.clear();
    const waitMs = Math.max(0, Math.min(atMs - this.#now(), maxTimerMs));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // Timers may fire up to a millisecond early on a finer clock.
      if (this.#now() < atMs - 1) this.set(atMs, fn);
      else fn();
    }, waitMs).unref();
  }

  clear(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
