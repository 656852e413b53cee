import * as http2 from "node:http2";
import * as net from "node:net";
import type { Duplex } from "node:stream";
import type { ConnectionOptions as TlsConnectionOptions } from "node:tls";
import { outsideCall } from "../deadline-propagation.js";

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
    const entry: SessionEntry = { session, active: 0 };
    session.unref();
    const forget = () => {
      if (this.#current === entry) this.#current = undefined;
    };
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
    this.#current = entry;
    return entry;
  }
}

const kEntry = Symbol("tsgrpc.sessionEntry");
type EntryStream = http2.ClientHttp2Stream & { [kEntry]: SessionEntry };

/** Shared by every stream (no closure per call): the last stream of a session lets the process exit. */
function onStreamClose(this: EntryStream): void {
  const entry = this[kEntry];
  if (--entry.active !== 0) return;
  if (!entry.session.destroyed) entry.session.unref();
  // Node leaves the socket of a session that a TLS alert destroyed open (a server that wants a
  // client certificate): close it, or it keeps the process alive.
  else if (entry.socket && !entry.socket.destroyed) entry.socket.destroy();
}
