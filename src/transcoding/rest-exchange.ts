import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { ServerHttp2Stream } from "node:http2";
import type { Readable, Writable } from "node:stream";
import type { TLSSocket } from "node:tls";
import { peerTlsOf, peerTlsOfSocket, type PeerTlsInfo } from "../credentials/peer-tls.js";

export type ResponseHeaders = Record<string, string | string[]>;

/**
 * One HTTP request and its response, whatever the HTTP version: what a
 * REST call needs from `node:http2`'s stream or `node:http`'s request and
 * response. Every method is safe after the exchange has closed.
 */
export interface RestExchange {
  readonly method: string;
  /** Path and query, as in the request line (`:path`). */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The request body. */
  readonly body: Readable;
  /** Where response bytes go (for 'drain'). */
  readonly output: Writable;
  readonly peer: string;
  readonly tls: PeerTlsInfo | undefined;
  /** Whether the response head was sent. */
  readonly headersSent: boolean;
  /** Whether the exchange is over (response complete, or the client gone). */
  readonly closed: boolean;
  respond(status: number, headers: ResponseHeaders): void;
  /** Writes body bytes; false when the client is not keeping up (wait for 'drain'). */
  write(chunk: Uint8Array | string): boolean;
  end(chunk?: Uint8Array | string): void;
  /** Calls `fn` once when the exchange closes, complete or not: `complete` tells which. */
  onClose(fn: (complete: boolean) => void): void;
}

function peerOf(address: string | undefined, port: number | undefined): string {
  const a = address ?? "";
  return `${a.includes(":") ? `[${a}]` : a}:${port ?? 0}`;
}

/** An HTTP/2 stream as an exchange. */
export function http2Exchange(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): RestExchange {
  let complete = false;
  return {
    method: String(headers[":method"] ?? ""),
    url: String(headers[":path"] ?? ""),
    headers,
    body: stream,
    output: stream,
    get peer() {
      const s = stream.session?.socket;
      return s ? peerOf(s.remoteAddress, s.remotePort) : "";
    },
    get tls() {
      return peerTlsOf(stream.session);
    },
    get headersSent() {
      return stream.headersSent;
    },
    get closed() {
      return stream.closed || stream.destroyed;
    },
    respond(status, h) {
      if (stream.closed || stream.destroyed || stream.headersSent) return;
      try {
        stream.respond({ ...h, ":status": status });
      } catch {
        // Closed under us: its 'close' ends the call.
      }
    },
    write(chunk) {
      if (stream.closed || stream.destroyed) return true;
      return stream.write(chunk);
    },
    end(chunk) {
      complete = true;
      if (stream.closed || stream.destroyed) return;
      try {
        stream.end(chunk);
      } catch {
        // Closed under us.
      }
    },
    onClose(fn) {
      stream.once("close", () => fn(complete && !stream.rstCode));
    },
  };
}

/** An HTTP/1.1 request and its response as an exchange. */
export function http1Exchange(req: IncomingMessage, res: ServerResponse): RestExchange {
  // However a Node version reports a client gone mid-upload, it must not be an uncaught 'error': the response's 'close' tells the call.
  req.on("error", noop);
  res.on("error", noop);
  return {
    method: req.method ?? "",
    url: req.url ?? "",
    headers: req.headers,
    body: req,
    output: res,
    get peer() {
      return peerOf(req.socket.remoteAddress, req.socket.remotePort);
    },
    get tls() {
      const socket = req.socket as Partial<TLSSocket>;
      return socket.encrypted ? peerTlsOfSocket(socket as TLSSocket) : undefined;
    },
    get headersSent() {
      return res.headersSent;
    },
    get closed() {
      return res.writableEnded || res.destroyed;
    },
    respond(status, h) {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(status, h);
    },
    write(chunk) {
      if (res.destroyed || res.writableEnded) return true;
      return res.write(chunk);
    },
    end(chunk) {
      if (res.destroyed || res.writableEnded) return;
      if (chunk === undefined) res.end();
      else res.end(chunk);
    },
    onClose(fn) {
      res.once("close", () => fn(res.writableFinished));
    },
  };
}

function noop(): void {}
