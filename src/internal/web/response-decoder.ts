import { Metadata, metadataFromHeaders } from "../../metadata/metadata.js";
import { Code, isCode } from "../../status/code.js";
import type { Detail } from "../../status/details.js";
import { codeFromHttpStatus } from "../../status/http-status.js";
import { RpcError } from "../../status/rpc-error.js";
import type { ClientWireSink } from "../transport/client-wire.js";
import { statusFromTrailers } from "../status-trailers.js";
import { parseConnectError } from "./connect-status.js";
import { EnvelopeReader, flagCompressed, type EnvelopeSink } from "../envelope-reader.js";
import { flagEndStream, flagTrailer } from "./frame-flags.js";

const utf8 = new TextDecoder();

/** The client side of the protocols a browser can speak, by how a response reads. */
export type WebProtocol = "grpc-web" | "connect-unary" | "connect-stream";

type RawHeaders = Record<string, string | string[]>;

/** Response headers that are HTTP's or the protocol's, not the call's metadata. */
const notMetadata = /^(?:content-length|content-encoding|date|server|vary|keep-alive|access-control-.*|connect-.*|trailer-.*)$/;

/**
 * Turns one response of gRPC-Web or Connect into what a client call needs
 * (headers, messages, one status), whatever carries it: `fetch` in browsers,
 * an HTTP/2 stream in Node. Feed it the head, the body chunks and the end;
 * it calls the sink, at most one status. `decoded` says the body arrives
 * already decoded from its HTTP `content-encoding` (fetch does that).
 */
export class WebResponseDecoder implements EnvelopeSink {
  readonly #protocol: WebProtocol;
  readonly #sink: ClientWireSink;
  readonly #maxBytes: number;
  readonly #decoded: boolean;
  #header = new Metadata();
  #trailer = new Metadata();
  #status = 0;
  #unaryCompressed = false;
  #contentType = "";
  #frames: EnvelopeReader | undefined;
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  /** Set once the sink has a status (or a failure). */
  done = false;

  constructor(protocol: WebProtocol, sink: ClientWireSink, maxReceiveBytes: number, decoded: boolean) {
    this.#protocol = protocol;
    this.#sink = sink;
    this.#maxBytes = maxReceiveBytes;
    this.#decoded = decoded;
  }

  header(): Metadata {
    return this.#header;
  }

  trailer(): Metadata {
    return this.#trailer;
  }

  /** The response head. Headers have lowercase names. */
  head(status: number, headers: RawHeaders): void {
    if (this.done) return;
    this.#status = status;
    const contentType = headers["content-type"];
    this.#contentType = typeof contentType === "string" ? contentType : "";
    const md = metadataOf(headers);
    this.#header = md;
    if (this.#protocol === "connect-unary") {
      const t: RawHeaders = {};
      for (const k in headers) if (k.startsWith("trailer-")) t[k.slice(8)] = headers[k]!;
      this.#trailer = metadataFromHeaders(t);
      if (status !== 200) return; // the error body follows
      const encoding = headers["content-encoding"];
      this.#unaryCompressed = !this.#decoded && typeof encoding === "string" && encoding !== "identity";
      this.#sink.headerReceived(this.#unaryCompressed ? (encoding as string) : undefined);
      return;
    }
    if (this.#protocol === "connect-stream") {
      if (status !== 200) return;
      const encoding = headers["connect-content-encoding"];
      this.#sink.headerReceived(typeof encoding === "string" && encoding !== "identity" ? encoding : undefined);
      return;
    }
    // gRPC-Web
    if (status !== 200) {
      this.#fail(new RpcError(codeFromHttpStatus(status), `received HTTP status ${status}`, { metadata: md }));
      return;
    }
    if (!this.#contentType.startsWith("application/grpc-web")) {
      this.#fail(new RpcError(Code.UNKNOWN, `received unexpected content-type "${this.#contentType}"`));
      return;
    }
    if (headers["grpc-status"] !== undefined) {
      // Trailers-only: the status is in the headers, and nothing follows.
      this.#sink.headerReceived(undefined);
      this.#trailer = md;
      this.#header = new Metadata();
      this.#finishWith(headers);
      return;
    }
    const encoding = headers["grpc-encoding"];
    this.#sink.headerReceived(typeof encoding === "string" && encoding !== "identity" ? encoding : undefined);
  }

  /** A chunk of the body. */
  body(chunk: Uint8Array): void {
    if (this.done || chunk.byteLength === 0) return;
    if (this.#protocol === "connect-unary" || this.#status !== 200) {
      this.#bytes += chunk.byteLength;
      if (this.#bytes > this.#maxBytes) {
        this.#fail(new RpcError(Code.RESOURCE_EXHAUSTED, `response body is larger than the limit of ${this.#maxBytes} bytes`));
        return;
      }
      this.#chunks.push(chunk);
      return;
    }
    try {
      (this.#frames ??= new EnvelopeReader(this.#maxBytes, flagCompressed | (this.#protocol === "grpc-web" ? flagTrailer : flagEndStream))).read(chunk, this);
    } catch (e) {
      if (!this.done) this.#fail(RpcError.from(e, Code.INTERNAL));
    }
  }

  /** Part of EnvelopeSink: a frame of the body, read. */
  envelope(flags: number, data: Uint8Array): void {
    if (this.done) return;
    if (this.#protocol === "grpc-web" && (flags & flagTrailer) !== 0) {
      const trailers = parseTrailerBlock(data);
      this.#trailer = metadataOf(trailers);
      this.#finishWith(trailers);
    } else if (this.#protocol === "connect-stream" && (flags & flagEndStream) !== 0) {
      this.#endStream(data);
    } else {
      this.#sink.message(data, (flags & flagCompressed) !== 0);
    }
  }

  /** The body ended. */
  end(): void {
    if (this.done) return;
    if (this.#protocol === "connect-unary" || this.#status !== 200) {
      const body = join(this.#chunks);
      this.#chunks = [];
      if (this.#status === 200) {
        this.#sink.message(body, this.#unaryCompressed && body.byteLength > 0);
        this.done = true;
        this.#sink.status(Code.OK, "", []);
        return;
      }
      this.#httpError(body);
      return;
    }
    this.#fail(
      this.#frames?.partial
        ? new RpcError(Code.INTERNAL, "protocol error: the response ended in the middle of a message")
        : new RpcError(Code.UNAVAILABLE, this.#protocol === "grpc-web" ? "the server ended the response without a status (trailer frame)" : "the server ended the stream without an end-of-stream message"),
    );
  }

  /** A Connect error response (or any non-200 one): the JSON error if there is one, else the HTTP status's code. */
  #httpError(body: Uint8Array): void {
    let parsed;
    if (this.#contentType.startsWith("application/json")) {
      try {
        parsed = parseConnectError(JSON.parse(utf8.decode(body)));
      } catch {
        // Not JSON after all: the HTTP status speaks.
      }
    }
    const status = this.#status;
    const code = parsed?.code ?? codeFromHttpStatus(status);
    this.#report(code, parsed?.message ?? `received HTTP status ${status}`, parsed?.details ?? []);
  }

  #endStream(data: Uint8Array): void {
    let json: { error?: unknown; metadata?: Record<string, unknown> };
    try {
      json = JSON.parse(utf8.decode(data)) as typeof json;
      if (json === null || typeof json !== "object") throw new Error("not an object");
    } catch {
      this.#fail(new RpcError(Code.INTERNAL, "protocol error: the end-of-stream message is not JSON"));
      return;
    }
    const t: RawHeaders = {};
    if (json.metadata && typeof json.metadata === "object") {
      for (const [k, v] of Object.entries(json.metadata)) {
        if (Array.isArray(v) && v.every((x) => typeof x === "string")) t[k.toLowerCase()] = v as string[];
      }
    }
    this.#trailer = metadataFromHeaders(t);
    if (json.error === undefined || json.error === null) {
      this.#report(Code.OK, "", []);
      return;
    }
    const parsed = parseConnectError(json.error);
    if (!parsed) this.#report(Code.UNKNOWN, "protocol error: the end-of-stream error is malformed", []);
    else this.#report(parsed.code, parsed.message, parsed.details);
  }

  #finishWith(fields: RawHeaders): void {
    const { code, message, details } = statusFromTrailers(fields);
    if (code === Code.OK && this.#frames?.partial) {
      this.#fail(new RpcError(Code.INTERNAL, "protocol error: the response ended in the middle of a message"));
      return;
    }
    this.#report(code, message, details);
  }

  #report(code: Code, message: string, details: Detail[]): void {
    this.done = true;
    this.#sink.status(isCode(code) ? code : Code.UNKNOWN, message, details);
  }

  #fail(error: RpcError): void {
    if (this.done) return;
    this.done = true;
    this.#sink.failed(error);
  }
}

function metadataOf(headers: RawHeaders): Metadata {
  const h: RawHeaders = {};
  for (const k in headers) if (!notMetadata.test(k)) h[k] = headers[k]!;
  return metadataFromHeaders(h);
}

/** gRPC-Web's trailer frame: `name: value` lines. */
export function parseTrailerBlock(data: Uint8Array): RawHeaders {
  const out: RawHeaders = {};
  for (const line of utf8.decode(data).split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

function join(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
