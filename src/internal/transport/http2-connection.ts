import * as http2 from "node:http2";
import * as net from "node:net";
import type { Duplex } from "node:stream";
import type { ConnectionOptions as TlsConnectionOptions } from "node:tls";
import { outsideCall } from "../deadline-propagation.js";
import { probeSession } from "./session-health.js";

/** Flow-control windows we advertise: large enough that a 64 KiB message never waits for a WINDOW_UPDATE. */
export const streamWindowBytes = 1 << 20;
export const connectionWindowBytes = 16 << 20;

/** Where and how to connect. */
export interface ConnectionTarget {
  /** `host:port` as sent in `:authority`. */
  readonly authority: string;
  readonly host: string;
  readonly port: number;
  /** A unix socket path instead of host and port. */
  readonly path?: string;
  /** TLS settings, or undefined for plain-text HTTP/2 (h2c). */
  readonly tls?: TlsConnectionOptions;
  /** Makes the connection instead of a socket to host and port (an in-process pair, in tests). */
  readonly createConnection?: () => Duplex;
}

/**
 * The one thing a channel needs from the network: a new HTTP/2 stream.
 * Name resolution and load balancing plug in behind this interface.
 */
export interface Connection {
  /** Opens a stream; throws when no session can be had right now. */
  request(headers: http2.OutgoingHttpHeaders): http2.ClientHttp2Stream;
  close(): void;
}

interface SessionEntry {
  readonly session: http2.ClientHttp2Session;
  active: number;
  /** The session's socket, once connected. */
  socket?: import("node:stream").Duplex;
  /** Stops new calls from using this session (it failed, was refused or went away). */
  readonly forget: () => void;
  /** Set while a PING checks whether the session still works. */
  probing?: boolean;
  /** When the last such PING was sent (epoch ms). */
  probedAt: number;
  /** A check that the last request went out is due this turn of the event loop. */
  checkScheduled?: boolean;
}

/**
 * One HTTP/2 session to one address, shared by all calls, opened on first
 * use and opened anew after it closes, fails or receives GOAWAY (streams on
 * the old one run to completion). The socket is referenced only while
 * calls are in flight, so an idle channel never keeps the process alive.
 */
export class Http2Connection implements Connection {
  readonly #target: ConnectionTarget;
  #current: SessionEntry | undefined;
  #closed = false;

  constructor(target: ConnectionTarget) {
    this.#target = target;
  }

  request(headers: http2.OutgoingHttpHeaders): http2.ClientHttp2Stream {
    if (this.#closed) throw new Error("the channel is closed");
    let entry = this.#current;
    if (!entry || entry.session.closed || entry.session.destroyed) entry = this.#connect();
    const stream = entry.session.request(headers);
    if (entry.active++ === 0) entry.session.ref();
    (stream as EntryStream)[kEntry] = entry;
    stream.on("close", onStreamClose);
    if (!entry.checkScheduled) {
      entry.checkScheduled = true;
      setImmediate(checkSent, entry);
    }
    return stream;
  }

  close(): void {
    this.#closed = true;
    const entry = this.#current;
    this.#current = undefined;
    if (entry && !entry.session.closed) entry.session.close();
  }

  #connect(): SessionEntry {
    const t = this.#target;
    const options: http2.SecureClientSessionOptions = {
      settings: { enablePush: false, initialWindowSize: streamWindowBytes },
      maxSessionMemory: 64,
    };
    if (t.createConnection) {
      options.createConnection = t.createConnection;
    } else if (t.path !== undefined) {
      const path = t.path;
      options.createConnection = () => net.connect(path);
    } else if (t.tls) {
      Object.assign(options, t.tls, { ALPNProtocols: ["h2"] });
    }
    const scheme = t.tls ? "https" : "http";
    // Not as part of the handler call that may be opening it (deadline-propagation.ts).
    const session = outsideCall(() => http2.connect(`${scheme}://${t.authority}`, options));
    const forget = () => {
      if (this.#current === entry) this.#current = undefined;
    };
    const entry: SessionEntry = { session, active: 0, forget, probedAt: 0 };
    session.unref();
    session.on("connect", (_session, socket) => {
      entry.socket = socket;
      try {
        session.setLocalWindowSize(connectionWindowBytes);
      } catch {
        // The session may already be closing; nothing to tune then.
      }
    });
    // Errors reach the streams of this session; the session itself must not throw.
    session.on("error", forget);
    session.on("goaway", forget);
    session.on("close", forget);
    session.on("frameError", () => suspect(entry));
    this.#current = entry;
    return entry;
  }
}

const kEntry = Symbol("tsgrpc.sessionEntry");
type EntryStream = http2.ClientHttp2Stream & { [kEntry]: SessionEntry };

/** Shared by every stream (no closure per call): the last stream of a session lets the process exit. */
function onStreamClose(this: EntryStream): void {
  const entry = this[kEntry];
  if (this.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM) suspect(entry);
  if (--entry.active !== 0) return;
  if (!entry.session.destroyed) entry.session.unref();
  // Node leaves the socket of a session that a TLS alert destroyed open (a server that wants a
  // client certificate): close it, or it keeps the process alive.
  else if (entry.socket && !entry.socket.destroyed) entry.socket.destroy();
}

/** At most one liveness PING per session in this time: servers count PINGs (gRPC's keepalive enforcement). */
const minProbeIntervalMs = 30_000;

/**
 * Right after a request, nghttp2 has put its HEADERS on the wire, unless the
 * session is dead: a session that sent GOAWAY for a protocol error queues
 * frames and never sends them. Checked once per turn of the event loop.
 */
function checkSent(entry: SessionEntry): void {
  entry.checkScheduled = false;
  const session = entry.session;
  // Until it connects, a session queues everything: nothing to tell then.
  if (session.connecting || session.destroyed) return;
  if ((session.state.outboundQueueSize ?? 0) > 0) suspect(entry);
}

/**
 * Something suggests the session is dead without Node saying so: a frame it
 * could not send, a request that did not go out, a stream refused (a
 * protocol error made nghttp2 send GOAWAY; see `probeSession`). A PING
 * tells: a dead session is forgotten and destroyed, so new calls get a new
 * connection and its calls in flight fail with UNAVAILABLE at once instead
 * of waiting for a response that cannot come.
 */
function suspect(entry: SessionEntry): void {
  const now = Date.now();
  if (entry.probing || entry.session.destroyed || now - entry.probedAt < minProbeIntervalMs) return;
  entry.probing = true;
  entry.probedAt = now;
  void probeSession(entry.session).then((alive) => {
    entry.probing = false;
    if (alive || entry.session.destroyed) return;
    entry.forget();
    entry.session.destroy();
  });
}
