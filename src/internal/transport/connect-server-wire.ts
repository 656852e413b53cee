import { Metadata } from "../../metadata/metadata.js";
import { writePrefixedMetadata } from "../prefixed-metadata.js";
import { Code } from "../../status/code.js";
import { RpcError } from "../../status/rpc-error.js";
import { connectErrorJson } from "../web/connect-status.js";
import { flagEndStream } from "../web/frame-flags.js";
import { httpStatusFromCode } from "../../status/http-status.js";
import { ExchangeServerWire, type ExchangeWireInit } from "./exchange-server-wire.js";
import type { HttpExchange } from "./http-exchange.js";
import type { ServerWireSink } from "./server-wire.js";

type Headers = Record<string, string | string[]>;

/** Request headers that belong to Connect or HTTP, not to the call's metadata. */
const protocolHeaders = new Set([
  "content-length",
  "content-encoding",
  "accept-encoding",
  "accept",
  "origin",
  "referer",
  "connection",
  "keep-alive",
  "connect-protocol-version",
  "connect-timeout-ms",
  "connect-content-encoding",
  "connect-accept-encoding",
]);

/**
 * A Connect unary call (connectrpc.com/docs/protocol, "Unary"): the request
 * body is the bare message (or, for GET, the `message` query parameter),
 * compressed as `content-encoding` says; the response is the bare message
 * with the trailers as `trailer-` headers, or an error as JSON with an HTTP
 * status that matches its code. Headers and trailers leave together, so the
 * wire holds the response headers until the call ends.
 */
export class ConnectUnaryServerWire extends ExchangeServerWire {
  readonly #contentType: string;
  /** The request message of a GET, already taken out of the query. */
  readonly #getMessage: Uint8Array | undefined;
  #header: Metadata | undefined;
  #encoding: string | undefined;
  #chunks: Buffer[] = [];
  #bytes = 0;

  constructor(exchange: HttpExchange, contentType: string, init: ExchangeWireInit, getMessage?: Uint8Array) {
    super(exchange, init);
    this.#contentType = contentType;
    this.#getMessage = getMessage;
  }

  requestMetadata(): Metadata {
    return this.metadataWithout(protocolHeaders);
  }

  override start(sink: ServerWireSink, streaming: boolean): void {
    if (this.#getMessage === undefined) {
      super.start(sink, streaming);
      return;
    }
    this.sink = sink;
    this.exchange.onClose(() => this.onClose());
    // A GET has no body, but its (empty) request side must still be read to its end for the stream to close.
    this.exchange.body.on("error", noop).resume();
    const message = this.#getMessage;
    queueMicrotask(() => {
      if (this.finished) return;
      sink.message(message, this.requestEncoding !== undefined && message.byteLength > 0);
      sink.requestEnd();
    });
  }

  protected override onData(chunk: Buffer): void {
    if (this.finished) return;
    this.#bytes += chunk.byteLength;
    if (this.#bytes > this.init.maxReceiveBytes) {
      this.#chunks = [];
      this.sink!.requestFailed(new RpcError(Code.RESOURCE_EXHAUSTED, `request body of more than ${this.init.maxReceiveBytes} bytes is larger than the limit`));
      return;
    }
    this.#chunks.push(chunk);
  }

  protected override onRequestEnd(): void {
    if (this.finished || this.exchange.closed) return;
    const body = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.#chunks = [];
    const sink = this.sink!;
    // An empty body is the empty message, whatever the encoding says.
    sink.message(body, this.requestEncoding !== undefined && body.byteLength > 0);
    if (!this.finished) sink.requestEnd();
  }

  override sendHeader(header: Metadata | undefined, encoding: string | undefined): void {
    this.#header = header;
    this.#encoding = encoding;
  }

  override sendMessage(): Promise<void> | undefined {
    // A unary response is one message, sent by finish().
    return undefined;
  }

  finish(status: RpcError | null, trailer: Metadata | undefined, last?: Uint8Array, lastCompressed?: boolean): void {
    if (status || !last) {
      this.finishWithoutResponse(status ?? new RpcError(Code.INTERNAL, "no response message"), this.#header, trailer);
      return;
    }
    if (this.finished) return;
    this.markFinished();
    const h: Headers = { "content-type": this.#contentType };
    if (lastCompressed && this.#encoding) h["content-encoding"] = this.#encoding;
    h["content-length"] = String(last.byteLength);
    this.#header?.writeTo(h);
    writePrefixedMetadata(h, trailer, "trailer-");
    this.exchange.respond(200, h);
    this.exchange.end(last);
  }

  finishWithoutResponse(status: RpcError | null, header: Metadata | undefined, trailer: Metadata | undefined): void {
    if (this.finished) return;
    this.markFinished();
    const error = status ?? new RpcError(Code.INTERNAL, "the call ended without a response message");
    const body = Buffer.from(JSON.stringify(connectErrorJson(error.code, error.rawMessage, error.details)));
    const h: Headers = { "content-type": "application/json", "content-length": String(body.byteLength) };
    header?.writeTo(h);
    error.metadata.writeTo(h);
    writePrefixedMetadata(h, trailer, "trailer-");
    this.exchange.respond(httpStatusFromCode(error.code), h);
    this.exchange.end(body);
  }
}

/**
 * A Connect streaming call (`application/connect+proto`, `+json`):
 * length-prefixed messages both ways, compressed as
 * `connect-content-encoding` says, and the status and trailers in a last
 * JSON message with flag 0x02 (end of stream). The HTTP status is 200.
 */
export class ConnectStreamServerWire extends ExchangeServerWire {
  readonly #contentType: string;
  #headersSent = false;

  constructor(exchange: HttpExchange, contentType: string, init: ExchangeWireInit) {
    super(exchange, init);
    this.#contentType = contentType;
  }

  requestMetadata(): Metadata {
    return this.metadataWithout(protocolHeaders);
  }

  sendHeader(header: Metadata | undefined, encoding: string | undefined): void {
    this.#respond(header, encoding);
  }

  #respond(header: Metadata | undefined, encoding: string | undefined): void {
    if (this.#headersSent) return;
    this.#headersSent = true;
    const h: Headers = { "content-type": this.#contentType };
    if (encoding) h["connect-content-encoding"] = encoding;
    header?.writeTo(h);
    this.exchange.respond(200, h);
  }

  finish(status: RpcError | null, trailer: Metadata | undefined, last?: Uint8Array, lastCompressed?: boolean): void {
    this.endStream(last, lastCompressed, () => ({ payload: endStreamMessage(status, trailer), flags: flagEndStream }));
  }

  finishWithoutResponse(status: RpcError | null, header: Metadata | undefined, trailer: Metadata | undefined): void {
    if (this.finished) return;
    this.#respond(header, undefined);
    this.finish(status, trailer);
  }
}

/** Connect's end-of-stream message: `{"error": …, "metadata": {key: [values]}}`, the trailers then the error's own metadata. */
export function endStreamMessage(status: RpcError | null, trailer: Metadata | undefined): Uint8Array {
  const json: { error?: unknown; metadata?: Headers } = {};
  if (status) json.error = connectErrorJson(status.code, status.rawMessage, status.details);
  // Copied only when both have entries.
  const extra = status && status.metadata.size > 0 ? status.metadata : undefined;
  const md = extra && trailer && trailer.size > 0 ? new Metadata(trailer).merge(extra) : (extra ?? trailer);
  if (md && md.size > 0) {
    const h: Headers = {};
    md.writeTo(h);
    for (const k in h) if (typeof h[k] === "string") h[k] = [h[k]];
    json.metadata = h;
  }
  return Buffer.from(JSON.stringify(json));
}

function noop(): void {}
