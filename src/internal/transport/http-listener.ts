// One listening port for HTTP/2 and HTTP/1.1, plain text or TLS.
//
// HTTP/2 connections go to a never-listening `Http2Server` of the caller, so
// that streams arrive through its 'stream' event and never through Node's
// compatibility layer (which runs for every stream once a server has a
// 'request' listener). HTTP/1.1 connections go to an `http.Server` of our own.
// With TLS, ALPN decides. In plain text, the first bytes do: HTTP/2 with prior
// knowledge starts with the client connection preface (RFC 9113 §3.4); Node's
// `allowHTTP1` only ever falls back by ALPN, never for h2c.
import * as http from "node:http";
import type * as http2 from "node:http2";
import * as net from "node:net";
import * as tls from "node:tls";
import { readPlainProtocol } from "./plain-protocol.js";

/** Where a listener is bound: host and port, or a unix socket path. */
export type HttpListenerAddress = { host: string; port: number } | { path: string };

/** Options of `openHttpListener`, validated once. */
export interface HttpListenerOptions {
  /** Address to bind (TCP). Default `"127.0.0.1"`. Not with `path`. */
  host?: string;
  /** TCP port; 0, the default, picks a free one. Not with `path`. */
  port?: number;
  /** Unix socket path, instead of `host` and `port`. */
  path?: string;
  /**
   * TLS: key, cert, ca, requestCert, rejectUnauthorized… as for
   * `tls.createServer`. ALPN is ours (`h2`, `http/1.1`); a client that offers
   * no ALPN speaks HTTP/1.1. `handshakeTimeout` defaults to `sniffTimeoutMs`.
   */
  tls?: Omit<tls.TlsOptions, "ALPNProtocols" | "ALPNCallback">;
  /**
   * Receives the HTTP/2 connections through its 'connection' event: a server
   * from `http2.createServer(settings)` (plain, even for TLS connections) that
   * never listens, with the caller's 'session' and 'stream' listeners and no
   * 'request' listener. Its settings, `setTimeout` and 'sessionError' work as
   * on a listening server; its `close()` does nothing to sessions: the caller
   * tracks them ('session') and closes them. A client that sent the preface
   * and then nothing stays connected until the caller ends it (`acceptedAtOf`
   * tells when the connection was accepted, for a handshake deadline).
   */
  http2: http2.Http2Server;
  /** Handles each HTTP/1.1 request. It should not throw: if it does, the request is answered 500 (or its connection reset). */
  onHttp1Request: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  /**
   * Settings of the internal HTTP/1.1 server, with Node's names, units (ms,
   * bytes) and defaults: `headersTimeout` 60,000, `requestTimeout` 300,000,
   * `keepAliveTimeout` 5,000, `maxHeaderSize` 16 KiB.
   */
  http1?: Pick<
    http.ServerOptions,
    "headersTimeout" | "requestTimeout" | "keepAliveTimeout" | "connectionsCheckingInterval" | "maxHeaderSize" | "requireHostHeader"
  >;
  /**
   * How long a new connection may take before its protocol is known, in ms:
   * the first bytes in plain text (a client that sends nothing, or part of the
   * HTTP/2 preface and then stalls, is dropped), the handshake with TLS.
   * Default 10,000.
   */
  sniffTimeoutMs?: number;
}

/** A listening socket that hands each connection to HTTP/2 or HTTP/1.1. */
export interface HttpListener {
  /** The bound address (with the port picked when 0 was asked for). */
  readonly address: HttpListenerAddress;
  /** Whether connections use TLS. */
  readonly secure: boolean;
  /**
   * Replaces the key, certificate, CAs… for connections made afterwards; open
   * ones keep theirs. Fields left out keep their current values (Node's own
   * `setSecureContext` would unset them: rotating key and cert alone would
   * drop `ca`, and with it mTLS). Throws a `TypeError` without TLS, and what
   * `tls.createSecureContext` throws for bad material, changing nothing then.
   */
  setSecureContext(options: tls.SecureContextOptions): void;
  /**
   * Stops accepting connections (at once, before this returns), destroys
   * connections whose protocol is not known yet, and drains HTTP/1.1: idle
   * keep-alive connections are closed now, busy ones after their response
   * (sent with `Connection: close` when its head is not out yet). HTTP/2
   * sessions are the caller's to close (GOAWAY). Resolves once every
   * connection this listener accepted, HTTP/2 ones included, has closed;
   * calling it again returns the same promise.
   */
  close(): Promise<void>;
  /**
   * Destroys every connection this listener accepted that is still open,
   * HTTP/2 ones included: the end of a grace period. Destroy the HTTP/2
   * sessions first, so that their calls end with a proper status.
   */
  destroyConnections(): void;
}

/** Default of `HttpListenerOptions.sniffTimeoutMs`. */
export const defaultSniffTimeoutMs = 10_000;

const kAcceptedAt = Symbol("tsgrpc.acceptedAt");
type StampedSocket = net.Socket & { [kAcceptedAt]?: number };

/**
 * When the listener accepted `socket` (`performance.now()`), for the TCP or
 * pipe socket and for the TLS socket over it; undefined for a socket that
 * came from elsewhere. The HTTP/2 handshake deadline counts from it.
 */
export function acceptedAtOf(socket: object): number | undefined {
  return (socket as StampedSocket)[kAcceptedAt];
}

/**
 * Binds `options`' address and starts handing connections over. Rejects with
 * the listen error (EADDRINUSE, EACCES…) and leaves nothing open then. Throws
 * a `TypeError` for bad options.
 */
export async function openHttpListener(options: HttpListenerOptions): Promise<HttpListener> {
  const sniffTimeoutMs = checkOptions(options);
  const h2 = options.http2;
  const onHttp1Request = options.onHttp1Request;
  const h1 = http.createServer({ ...options.http1 });

  /** Every socket accepted (the TCP or pipe socket under TLS too), until it closes. */
  const connections = new Set<net.Socket>();
  /** Accepted sockets whose protocol is not known yet: sniffing, or in the TLS handshake. */
  const pending = new Set<net.Socket>();
  /** HTTP/1.1 sockets (TLS ones under TLS) and how many of their responses are unfinished. */
  const http1Sockets = new Map<net.Socket, number>();
  const unfinished = new Set<http.ServerResponse>();
  let draining = false;
  let closed: Promise<void> | undefined;
  // Set if Node stops telling which TCP socket a TLS socket wraps; close()
  // then leaves handshakes to their timeout rather than guess.
  let handshakesUntracked = false;

  const accept = (socket: net.Socket) => {
    (socket as StampedSocket)[kAcceptedAt] = performance.now();
    connections.add(socket);
    socket.once("close", () => {
      connections.delete(socket);
      pending.delete(socket);
    });
  };

  const toHttp2 = (socket: net.Socket) => {
    try {
      h2.emit("connection", socket);
    } catch {
      socket.destroy();
    }
  };

  const toHttp1 = (socket: net.Socket) => {
    http1Sockets.set(socket, 0);
    socket.once("close", () => http1Sockets.delete(socket));
    try {
      h1.emit("connection", socket);
    } catch {
      socket.destroy();
    }
  };

  h1.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    const open = http1Sockets.get(socket);
    if (open !== undefined) http1Sockets.set(socket, open + 1);
    unfinished.add(res);
    if (draining) res.shouldKeepAlive = false;
    res.once("close", () => {
      unfinished.delete(res);
      const left = http1Sockets.get(socket);
      if (left === undefined) return;
      http1Sockets.set(socket, left - 1);
      // A response whose head went out as keep-alive before close() began.
      if (draining && left === 1) socket.end();
    });
    try {
      onHttp1Request(req, res);
    } catch {
      // A bug of the handler: answer rather than let it crash the process.
      try {
        if (res.headersSent) throw new Error("too late for a 500");
        res.shouldKeepAlive = false;
        res.writeHead(500, { "content-type": "text/plain" }).end("internal error");
      } catch {
        res.destroy();
      }
    }
  });

  let server: net.Server;
  /** What the TLS server was last given: `setSecureContext` merges into it. */
  let secureContext: tls.SecureContextOptions = { ...options.tls };
  if (options.tls) {
    const secure = tls.createServer({
      handshakeTimeout: sniffTimeoutMs,
      noDelay: true,
      ...options.tls,
      ALPNProtocols: ["h2", "http/1.1"],
    });
    secure.on("connection", (socket: net.Socket) => {
      accept(socket);
      pending.add(socket);
    });
    secure.on("secureConnection", (socket: tls.TLSSocket) => {
      const tcp = (socket as { _parent?: unknown })._parent;
      if (tcp instanceof net.Socket && pending.delete(tcp)) {
        // Known: the handshake of `tcp` is over.
      } else {
        handshakesUntracked = true;
      }
      (socket as StampedSocket)[kAcceptedAt] = (tcp instanceof net.Socket ? acceptedAtOf(tcp) : undefined) ?? performance.now();
      if (closed) socket.destroy();
      else if (socket.alpnProtocol === "h2") toHttp2(socket);
      else toHttp1(socket);
    });
    // Node destroys the socket after most handshake errors, but not after
    // ERR_TLS_HANDSHAKE_TIMEOUT: that one would stay open for good.
    secure.on("tlsClientError", (_error: Error, socket: tls.TLSSocket) => socket.destroy());
    server = secure;
  } else {
    server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      accept(socket);
      if (closed) {
        socket.destroy();
        return;
      }
      pending.add(socket);
      readPlainProtocol(socket, sniffTimeoutMs, (protocol) => {
        pending.delete(socket);
        if (protocol === "h2") {
          // As on an Http2Server: end our side when the client ends its.
          socket.allowHalfOpen = false;
          // No resume: the new Http2Session reads what is buffered (next tick), then owns the socket.
          toHttp2(socket);
        } else {
          toHttp1(socket);
          socket.resume();
        }
      });
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    const listening = () => {
      server.off("error", reject);
      resolve();
    };
    if (options.path !== undefined) server.listen({ path: options.path }, listening);
    else server.listen({ host: options.host ?? "127.0.0.1", port: options.port ?? 0 }, listening);
  });
  // Errors of a listening server are failed accepts (EMFILE…): the socket is
  // gone, the server keeps listening.
  server.on("error", noop);
  // Node enforces headersTimeout and requestTimeout, and finds the idle
  // connections of closeIdleConnections(), only once an http.Server has
  // emitted 'listening'; ours never listens, its sockets come from `server`.
  h1.emit("listening");

  const bound = server.address();
  const address: HttpListenerAddress =
    typeof bound === "string" || bound === null
      ? { path: options.path ?? String(bound) }
      : { host: bound.address, port: bound.port };

  return {
    address,
    secure: options.tls !== undefined,
    setSecureContext(update) {
      if (!(server instanceof tls.Server)) throw new TypeError("setSecureContext: this listener does not use TLS");
      const next = { ...secureContext, ...update };
      server.setSecureContext(next);
      secureContext = next;
    },
    close() {
      if (closed) return closed;
      closed = new Promise<void>((resolve) =>
        server.close(() => {
          // Stops Node's timer behind headersTimeout; h1 has no connections left.
          h1.close();
          resolve();
        }),
      );
      if (!handshakesUntracked) for (const socket of pending) socket.destroy();
      draining = true;
      for (const res of unfinished) if (!res.headersSent) res.shouldKeepAlive = false;
      h1.closeIdleConnections();
      return closed;
    },
    destroyConnections() {
      for (const socket of connections) socket.destroy();
    },
  };
}

function checkOptions(o: HttpListenerOptions): number {
  if (o === null || typeof o !== "object") throw new TypeError("openHttpListener: options are required");
  const h2 = o.http2 as Partial<http2.Http2Server> | undefined;
  if (!h2 || typeof h2.emit !== "function" || typeof h2.listenerCount !== "function") {
    throw new TypeError("openHttpListener: http2 must be a server from http2.createServer()");
  }
  if (h2.listening) throw new TypeError("openHttpListener: the http2 server must not listen itself");
  if (h2.listenerCount("request") > 0) {
    throw new TypeError("openHttpListener: the http2 server must have no 'request' listener (it turns on Node's compatibility layer)");
  }
  if (typeof o.onHttp1Request !== "function") throw new TypeError("openHttpListener: onHttp1Request must be a function");
  if (o.path !== undefined && (typeof o.path !== "string" || o.path === "" || o.host !== undefined || o.port !== undefined)) {
    throw new TypeError("openHttpListener: path is a non-empty string, without host and port");
  }
  if (o.port !== undefined && !(Number.isInteger(o.port) && o.port >= 0 && o.port <= 65535)) {
    throw new TypeError(`openHttpListener: port ${String(o.port)} is not an integer from 0 to 65535`);
  }
  if (o.tls !== undefined && (o.tls === null || typeof o.tls !== "object")) throw new TypeError("openHttpListener: tls must be an object");
  const ms = o.sniffTimeoutMs ?? defaultSniffTimeoutMs;
  if (!(Number.isFinite(ms) && ms > 0)) throw new TypeError(`openHttpListener: sniffTimeoutMs ${String(ms)} is not a positive number of ms`);
  return ms;
}

function noop(): void {}
