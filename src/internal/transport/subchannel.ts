import * as http2 from "node:http2";
import * as net from "node:net";
import * as tls from "node:tls";
import type { Duplex } from "node:stream";
import { Backoff, type BackoffSettings, connectionBackoff } from "../backoff.js";
import { outsideCall } from "../deadline-propagation.js";
import { describeConnectionError } from "./connection-error.js";
import { connectionWindowBytes, streamWindowBytes } from "./flow-control-windows.js";
import { probeSession } from "./session-health.js";

/** gRPC's connectivity states (doc/connectivity-semantics-and-api.md). */
export type ConnectivityState = "IDLE" | "CONNECTING" | "READY" | "TRANSIENT_FAILURE" | "SHUTDOWN";

/** Where a subchannel connects: a TCP host and port, or a unix socket path (`\0name` for an abstract one). */
export type SubchannelAddress = { readonly host: string; readonly port: number } | { readonly path: string };

/** Client keepalive (gRFC A8). Shared by a channel's subchannels: a `too_many_pings` GOAWAY doubles `timeMs` for all. */
export interface KeepaliveSettings {
  /** Time between pings, in ms; `Infinity` for none. */
  timeMs: number;
  /** Time to wait for a ping's ack before the connection is declared dead, in ms. */
  readonly timeoutMs: number;
  /** Ping also while no call is in flight. */
  readonly permitWithoutCalls: boolean;
}

/** What every subchannel of a channel has in common. */
export interface SubchannelSettings {
  /** Sent as `:authority`. */
  readonly authority: string;
  /** TLS for every connection, or undefined for h2c. */
  readonly tls: tls.ConnectionOptions | undefined;
  /** Makes each connection instead of a socket to the address (an in-process pair, in tests). */
  readonly createConnection: (() => Duplex) | undefined;
  /** Least time a connection attempt (TCP, TLS and the server's first SETTINGS) may take, in ms. */
  readonly connectTimeoutMs: number;
  readonly keepalive: KeepaliveSettings;
  readonly backoff?: BackoffSettings;
}

export type SubchannelListener = (state: ConnectivityState, error: Error | undefined) => void;

interface Session {
  http2: http2.ClientHttp2Session;
  active: number;
  socket: Duplex | undefined;
  socketError: Error | undefined;
  keepalive: NodeJS.Timeout | undefined;
  /** No longer takes new streams: closed once its last one ends. */
  draining: boolean;
  /** Asks the session a PING, at most once per `minProbeIntervalMs`: see `suspect`. */
  suspect: () => void;
  /** A check that the last request went out is due this turn of the event loop. */
  checkScheduled: boolean;
}

const enhanceYourCalm = 11;

/**
 * One address and the HTTP/2 connection to it, with gRPC's connectivity
 * states: IDLE until asked to connect; CONNECTING until the server's first
 * SETTINGS arrive (so that its stream limit is known before any stream is
 * opened), or the connect timeout fires; READY while that connection takes
 * streams; IDLE again when it is lost or told to go away (its streams run
 * to completion); TRANSIENT_FAILURE after a failed attempt, for the backoff
 * delay, then IDLE. The balancer decides when to connect again.
 *
 * A connection keeps the process alive only while it carries calls.
 */
export class Subchannel {
  readonly address: SubchannelAddress;
  readonly #settings: SubchannelSettings;
  readonly #backoff: Backoff;
  readonly #listeners = new Set<SubchannelListener>();
  #state: ConnectivityState = "IDLE";
  #error: Error | undefined;
  #session: Session | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(address: SubchannelAddress, settings: SubchannelSettings) {
    this.address = address;
    this.#settings = settings;
    this.#backoff = new Backoff(settings.backoff ?? connectionBackoff);
  }

  get state(): ConnectivityState {
    return this.#state;
  }

  /** Why the last connection attempt failed or the last connection was lost. */
  get lastError(): Error | undefined {
    return this.#error;
  }

  /** Streams in flight on the current connection. */
  get activeStreams(): number {
    return this.#session?.active ?? 0;
  }

  /** Calls `listener` on every state change until the returned function is called. */
  watch(listener: SubchannelListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts connecting if IDLE; otherwise nothing. */
  connect(): void {
    if (this.#state !== "IDLE") return;
    this.#setState("CONNECTING", undefined);
    this.#open();
  }

  /** Opens a stream on the READY connection. Throws if there is none. */
  request(headers: http2.OutgoingHttpHeaders): http2.ClientHttp2Stream {
    const s = this.#session;
    if (this.#state !== "READY" || s === undefined) throw new Error(`subchannel to ${describe(this.address)} is ${this.#state}`);
    const stream = s.http2.request(headers);
    if (s.active++ === 0) s.http2.ref();
    (stream as TrackedStream)[kSession] = s;
    stream.on("close", onStreamClose);
    if (!s.checkScheduled) {
      s.checkScheduled = true;
      setImmediate(checkSent, s);
    }
    return stream;
  }

  /** Ends for good: no new streams; streams in flight finish on a closing connection. */
  shutdown(): void {
    if (this.#state === "SHUTDOWN") return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const s = this.#session;
    this.#session = undefined;
    if (s) closeSession(s);
    this.#setState("SHUTDOWN", undefined);
    this.#listeners.clear();
  }

  #setState(state: ConnectivityState, error: Error | undefined): void {
    if (this.#state === "SHUTDOWN") return;
    this.#state = state;
    if (error) this.#error = error;
    for (const l of [...this.#listeners]) l(state, error);
  }

  #open(): void {
    const t = this.#settings;
    const address = this.address;
    const session = { active: 0, socket: undefined, socketError: undefined, keepalive: undefined, draining: false, checkScheduled: false } as Partial<Session> as Session;
    session.suspect = this.#suspecter(session);
    const options: http2.ClientSessionOptions = {
      settings: { enablePush: false, initialWindowSize: streamWindowBytes },
      maxSessionMemory: 64,
      createConnection: () => {
        const socket = t.createConnection ? t.createConnection() : openSocket(address, t.tls);
        session.socket = socket;
        // Node's session swallows the reason its socket failed (a TLS alert) until the socket closes, which it may never do.
        socket.on("error", (e: Error) => {
          session.socketError ??= e;
          this.#lost(session, connectError(e));
          socket.destroy();
        });
        return socket;
      },
    };
    const scheme = t.tls ? "https" : "http";
    // Not as part of the handler call that may be opening it (deadline-propagation.ts).
    const h2 = outsideCall(() => http2.connect(`${scheme}://${t.authority}`, options));
    h2.unref();
    session.http2 = h2;
    this.#session = session;
    const timeoutMs = Math.max(t.connectTimeoutMs, 0);
    this.#timer = setTimeout(() => this.#failed(session, new Error(`connecting to ${describe(address)} timed out after ${timeoutMs} ms`)), timeoutMs);
    this.#timer.unref();
    h2.once("connect", () => {
      try {
        h2.setLocalWindowSize(connectionWindowBytes);
        // A TLS server that refuses our certificate may say so only once it reads from us: a
        // PING makes it read (and answers the question whether the peer speaks HTTP/2 at all).
        if (t.tls) h2.ping(() => {});
      } catch {
        // Closing already; nothing to tune.
      }
    });
    h2.once("remoteSettings", () => {
      if (this.#session !== session || this.#state !== "CONNECTING") return;
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#backoff.reset();
      this.#startKeepalive(session);
      this.#setState("READY", undefined);
    });
    // Errors reach the streams of this session; the session itself must not throw.
    h2.on("error", (e: Error) => this.#lost(session, connectError(e)));
    h2.on("frameError", () => session.suspect());
    h2.on("goaway", (code: number, _last: number, data?: Buffer) => {
      if (code === enhanceYourCalm && data?.toString() === "too_many_pings" && Number.isFinite(t.keepalive.timeMs)) {
        t.keepalive.timeMs *= 2;
      }
      this.#lost(session, new Error(`${describe(address)} sent GOAWAY (${code === 0 ? "going away" : `error code ${code}`})`));
    });
    h2.on("close", () => {
      const ready = this.#session !== session || this.#state !== "CONNECTING";
      const why = ready
        ? `the connection to ${describe(address)} closed`
        : t.tls
          ? "the server closed the connection before answering (a TLS server that refuses the client certificate does this)"
          : "the server closed the connection before answering";
      this.#lost(session, new Error(why));
    });
  }

  /** The session ended, failed or was told to go away: new streams need a new one. */
  #lost(session: Session, error: Error): void {
    stopKeepalive(session);
    if (this.#session !== session) return;
    if (this.#state === "CONNECTING") return this.#failed(session, error);
    this.#session = undefined;
    session.draining = true;
    if (!session.http2.closed && !session.http2.destroyed && session.active === 0) session.http2.close();
    this.#setState("IDLE", error);
  }

  /** A connection attempt failed: TRANSIENT_FAILURE for the backoff delay, then IDLE. */
  #failed(session: Session, error: Error): void {
    if (this.#session !== session || this.#state !== "CONNECTING") return;
    this.#session = undefined;
    clearTimeout(this.#timer);
    if (!session.http2.destroyed) session.http2.destroy();
    if (session.socket && !session.socket.destroyed) session.socket.destroy();
    this.#setState("TRANSIENT_FAILURE", error);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#state === "TRANSIENT_FAILURE") this.#setState("IDLE", undefined);
    }, this.#backoff.next());
    this.#timer.unref();
  }

  /**
   * Something suggests the session died without Node saying so: a request
   * that did not go out, a refused stream, a frame that could not be sent.
   * When a peer sends a frame that nghttp2 treats as a connection error
   * (invalid HPACK, DATA on stream 0), nghttp2 sends GOAWAY and stops, but
   * Node emits nothing and keeps the socket open (`probeSession`): streams
   * in flight would wait for ever and new ones are never sent. A PING tells;
   * unanswered, the session is lost like one whose keepalive failed, so its
   * calls fail with UNAVAILABLE at once and new calls get a new connection.
   */
  #suspecter(session: Session): () => void {
    let probing = false;
    let probedAt = -Infinity;
    return () => {
      const h2 = session.http2;
      const now = Date.now();
      if (probing || h2.closed || h2.destroyed || now - probedAt < minProbeIntervalMs) return;
      probing = true;
      probedAt = now;
      void probeSession(h2).then((alive) => {
        probing = false;
        if (alive || h2.destroyed) return;
        this.#lost(session, new Error(`${describe(this.address)} did not answer a PING after a protocol error; the connection is dead`));
        h2.destroy(new Error("the connection is dead (unanswered PING)"));
      });
    };
  }

  #startKeepalive(session: Session): void {
    const k = this.#settings.keepalive;
    if (!Number.isFinite(k.timeMs)) return;
    const tick = () => {
      session.keepalive = undefined;
      const h2 = session.http2;
      if (h2.closed || h2.destroyed || this.#session !== session) return;
      if (session.active === 0 && !k.permitWithoutCalls) return schedule();
      let acked = false;
      const deadline = setTimeout(() => {
        if (acked) return;
        this.#lost(session, new Error(`${describe(this.address)} did not answer a keepalive ping within ${k.timeoutMs} ms`));
        h2.destroy(new Error("keepalive timeout"));
      }, k.timeoutMs);
      deadline.unref();
      try {
        h2.ping((err) => {
          acked = true;
          clearTimeout(deadline);
          if (!err) schedule();
        });
      } catch {
        clearTimeout(deadline);
      }
    };
    const schedule = () => {
      if (this.#session !== session) return;
      session.keepalive = setTimeout(tick, k.timeMs);
      session.keepalive.unref();
    };
    schedule();
  }
}

/** At most one such PING per connection in this time: servers count PINGs (gRPC's keepalive enforcement). */
const minProbeIntervalMs = 30_000;

/**
 * Right after a request, nghttp2 has put its HEADERS on the wire, unless the
 * session is dead: one that sent GOAWAY for a protocol error queues frames
 * and never sends them. Checked once per turn of the event loop.
 */
function checkSent(session: Session): void {
  session.checkScheduled = false;
  const h2 = session.http2;
  if (h2.connecting || h2.closed || h2.destroyed) return;
  if ((h2.state.outboundQueueSize ?? 0) > 0) session.suspect();
}

function stopKeepalive(session: Session): void {
  clearTimeout(session.keepalive);
  session.keepalive = undefined;
}

function closeSession(session: Session): void {
  stopKeepalive(session);
  session.draining = true;
  const h2 = session.http2;
  if (h2.closed || h2.destroyed) return;
  if (session.active === 0) {
    h2.destroy();
    if (session.socket && !session.socket.destroyed) session.socket.destroy();
  } else {
    h2.close();
  }
}

function openSocket(address: SubchannelAddress, tlsOptions: tls.ConnectionOptions | undefined): Duplex {
  if ("path" in address) return net.connect(address.path);
  if (!tlsOptions) return net.connect({ host: address.host, port: address.port });
  const socket = tls.connect({ ...tlsOptions, host: address.host, port: address.port, ALPNProtocols: ["h2"] });
  socket.once("secureConnect", () => {
    if (socket.alpnProtocol !== "h2") {
      socket.destroy(new Error(`${describe(address)} did not agree to HTTP/2 (ALPN ${socket.alpnProtocol || "none"})`));
    }
  });
  return socket;
}

function connectError(e: Error): Error {
  return new Error(describeConnectionError(e), { cause: e });
}

export function describe(a: SubchannelAddress): string {
  if ("path" in a) return a.path.startsWith("\0") ? `unix-abstract:${a.path.slice(1)}` : `unix:${a.path}`;
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

const kSession = Symbol("tsgrpc.session");
type TrackedStream = http2.ClientHttp2Stream & { [kSession]: Session };

/** Shared by every stream (no closure per call): the last stream of a session lets the process exit. */
function onStreamClose(this: TrackedStream): void {
  const s = this[kSession];
  if (this.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM) s.suspect();
  if (--s.active !== 0) return;
  if (s.draining && !s.http2.closed && !s.http2.destroyed) s.http2.close();
  if (!s.http2.destroyed) s.http2.unref();
  // Node leaves the socket of a session that a TLS alert destroyed open (a server that wants a
  // client certificate): close it, or it keeps the process alive.
  else if (s.socket && !s.socket.destroyed) s.socket.destroy();
}
