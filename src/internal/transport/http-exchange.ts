import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { ServerHttp2Stream } from "node:http2";
import type { Readable, Writable } from "node:stream";
import { peerTlsOf, peerTlsOfSocket, type PeerTlsInfo } from "../../credentials/peer-tls.js";
import { onStreamClose } from "./stream-close.js";

/**
 * One HTTP request and its response, whatever the HTTP version: what the
 * protocols made for HTTP/1.1 as much as HTTP/2 (gRPC-Web, Connect) need
 * from it. gRPC itself does not go through this: it needs HTTP/2 trailers,
 * and its wire works on the HTTP/2 stream directly.
 */
export interface HttpExchange {
  readonly method: string;
  /** The path, without the query. */
  readonly path: string;
  /** The query, without the `?`; empty when none. */
  readonly query: string;
  /** Request headers, lowercase names. */
  readonly headers: IncomingHttpHeaders;
  /** `http/1.1` or `h2`. */
  readonly httpVersion: "http/1.1" | "h2";
  /** The client's address, `ip:port` (`[v6]:port`). */
  readonly peer: string;
  /** The TLS connection the request came in on, or undefined. */
  readonly tls: PeerTlsInfo | undefined;
  /** The request body. */
  readonly body: Readable;
  /** The response body: write it after `respond`. */
  readonly out: Writable;
  /** Whether the exchange is over (response complete, or the connection or stream gone). */
  readonly closed: boolean;
  /** Sends the response head; `end` when there is no body. Does nothing once the exchange is closed. */
  respond(status: number, headers: Record<string, string | string[]>, end?: boolean): void;
  /** Writes response body bytes after `respond`; false when the client is not keeping up (wait for `out`'s 'drain'). Does nothing once closed. */
  write(chunk: Uint8Array | string): boolean;
  /** Ends the response, with a last chunk if given. Does nothing once closed. */
  end(chunk?: Uint8Array | string): void;
  /** Calls `fn` once when the exchange closes, complete or not; `complete` tells whether the response was sent in full. */
  onClose(fn: (complete: boolean) => void): void;
}

/** An HTTP/2 stream as an exchange. */
export function http2Exchange(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): HttpExchange {
  return new Http2Exchange(stream, headers);
}

/** An HTTP/1.1 request and its response as an exchange. */
export function http1Exchange(req: IncomingMessage, res: ServerResponse): HttpExchange {
  return new Http1Exchange(req, res);
}

// Classes, not object literals with getters and methods: a literal with
// accessors costs microseconds per request in V8, and its methods a closure each.

class Http2Exchange implements HttpExchange {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly httpVersion = "h2";
  readonly peer: string;
  readonly body: ServerHttp2Stream;
  readonly out: ServerHttp2Stream;

  constructor(stream: ServerHttp2Stream, headers: IncomingHttpHeaders) {
    const [path, query] = splitPath(String(headers[":path"] ?? ""));
    const socket = stream.session?.socket;
    this.method = String(headers[":method"] ?? "");
    this.path = path;
    this.query = query;
    this.headers = headers;
    this.peer = socket ? formatPeer(socket.remoteAddress, socket.remotePort) : "";
    this.body = stream;
    this.out = stream;
  }

  get tls(): PeerTlsInfo | undefined {
    return peerTlsOf(this.out.session);
  }

  get closed(): boolean {
    return this.out.closed || this.out.destroyed;
  }

  respond(status: number, h: Record<string, string | string[]>, end = false): void {
    const stream = this.out;
    if (stream.closed || stream.destroyed || stream.headersSent) return;
    try {
      stream.respond({ ...h, ":status": status }, { endStream: end });
    } catch {
      // The stream closed under us: its 'close' tells the owner.
    }
  }

  write(chunk: Uint8Array | string): boolean {
    const stream = this.out;
    if (stream.closed || stream.destroyed) return true;
    return stream.write(chunk);
  }

  end(chunk?: Uint8Array | string): void {
    const stream = this.out;
    if (stream.closed || stream.destroyed || stream.writableEnded) return;
    try {
      if (chunk === undefined) stream.end();
      else stream.end(chunk);
    } catch {
      // The stream closed under us: its 'close' tells the owner.
    }
  }

  onClose(fn: (complete: boolean) => void): void {
    const stream = this.out;
    onStreamClose(stream, { streamClosed: () => fn(stream.writableFinished && !stream.rstCode) });
  }
}

class Http1Exchange implements HttpExchange {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly httpVersion = "http/1.1";
  readonly peer: string;
  readonly body: IncomingMessage;
  readonly out: ServerResponse;
  /** Looked up on first use. Not a #private field: `withResponseHeaders` reads through a derived object. */
  private tlsInfo: PeerTlsInfo | undefined | null = null;

  constructor(req: IncomingMessage, res: ServerResponse) {
    const [path, query] = splitPath(req.url ?? "");
    // However a Node version reports a client gone mid-upload, it must not be an uncaught 'error': the response's 'close' tells the owner.
    req.on("error", noop);
    res.on("error", noop);
    this.method = req.method ?? "";
    this.path = path;
    this.query = query;
    this.headers = req.headers;
    this.peer = formatPeer(req.socket.remoteAddress, req.socket.remotePort);
    this.body = req;
    this.out = res;
  }

  get tls(): PeerTlsInfo | undefined {
    if (this.tlsInfo === null) this.tlsInfo = peerTlsOfSocket(this.body.socket);
    return this.tlsInfo;
  }

  get closed(): boolean {
    const res = this.out;
    return res.writableFinished || res.destroyed || this.body.socket.destroyed;
  }

  respond(status: number, h: Record<string, string | string[]>, end = false): void {
    const res = this.out;
    if (res.headersSent || res.destroyed) return;
    try {
      res.writeHead(status, h);
      if (end) res.end();
    } catch {
      // The connection went away: its 'close' tells the owner.
    }
  }

  write(chunk: Uint8Array | string): boolean {
    const res = this.out;
    if (res.destroyed || res.writableEnded) return true;
    return res.write(chunk);
  }

  end(chunk?: Uint8Array | string): void {
    const res = this.out;
    if (res.destroyed || res.writableEnded) return;
    if (chunk === undefined) res.end();
    else res.end(chunk);
  }

  onClose(fn: (complete: boolean) => void): void {
    const res = this.out;
    res.once("close", () => fn(res.writableFinished));
  }
}

/** The exchange with `extra` headers added to its response head (CORS headers, say). */
export function withResponseHeaders(exchange: HttpExchange, extra: Readonly<Record<string, string>>): HttpExchange {
  const wrapped: HttpExchange = Object.create(exchange);
  wrapped.respond = (status, headers, end) => exchange.respond(status, { ...headers, ...extra }, end);
  return wrapped;
}

function splitPath(url: string): [string, string] {
  const q = url.indexOf("?");
  return q < 0 ? [url, ""] : [url.slice(0, q), url.slice(q + 1)];
}

function formatPeer(address: string | undefined, port: number | undefined): string {
  const a = address ?? "";
  return `${a.includes(":") ? `[${a}]` : a}:${port ?? 0}`;
}

function noop(): void {}
