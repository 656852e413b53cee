import type { Codec } from "../../codec/codec.js";
import type { PeerTlsInfo } from "../../credentials/peer-tls.js";
import { metadataFromHeaders, type Metadata } from "../../metadata/metadata.js";
import { Code } from "../../status/code.js";
import { RpcError } from "../../status/rpc-error.js";
import { EnvelopeReader, encodeEnvelope, flagCompressed, writeEnvelope, type EnvelopeSink } from "../envelope.js";
import { Base64StreamDecoder } from "../web/base64-stream.js";
import { DrainWaiter } from "./drain-waiter.js";
import type { HttpExchange } from "./http-exchange.js";
import type { ServerWire, ServerWireSink } from "./server-wire.js";

/** Bytes of response messages queued on a stream past which each write waits to be flushed. */
const queuedBytesLimit = 2048;

/** What a wire over an `HttpExchange` learns from the request's headers (parsed by the dispatch). */
export interface ExchangeWireInit {
  readonly codec: Codec;
  readonly timeoutMs: number | undefined;
  readonly requestEncoding: string | undefined;
  readonly acceptEncoding: string;
  /** Largest request message, in bytes (before decompression). */
  readonly maxReceiveBytes: number;
  /** Base64 bodies both ways (`application/grpc-web-text`). */
  readonly text?: boolean;
}

/**
 * What the wires of the protocols that frame messages over any HTTP
 * version share (gRPC-Web, Connect streaming): reading length-prefixed
 * messages from the request body, writing them with backpressure, and
 * noticing a client that goes away. How headers and the status are sent is
 * each protocol's.
 */
export abstract class ExchangeServerWire implements ServerWire, EnvelopeSink {
  readonly codec: Codec;
  readonly timeoutMs: number | undefined;
  readonly requestEncoding: string | undefined;
  readonly acceptEncoding: string;
  protected readonly exchange: HttpExchange;
  protected readonly init: ExchangeWireInit;
  /** Set once the response is complete (or the client gone): nothing more is read or written. */
  protected finished = false;
  protected sink: ServerWireSink | undefined;
  #reader: EnvelopeReader | undefined;
  #text: Base64StreamDecoder | undefined;
  #drain: DrainWaiter | undefined;

  constructor(exchange: HttpExchange, init: ExchangeWireInit) {
    this.exchange = exchange;
    this.init = init;
    this.codec = init.codec;
    this.timeoutMs = init.timeoutMs;
    this.requestEncoding = init.requestEncoding;
    this.acceptEncoding = init.acceptEncoding;
    if (init.text) this.#text = new Base64StreamDecoder();
  }

  get peer(): string {
    return this.exchange.peer;
  }

  get tls(): PeerTlsInfo | undefined {
    return this.exchange.tls;
  }

  abstract requestMetadata(): Metadata;

  /**
   * The request's headers as metadata, less `protocolHeaders` (the
   * protocol's own and HTTP's) and what browsers add for CORS and fetch
   * (`access-control-*`, `sec-*`).
   */
  protected metadataWithout(protocolHeaders: ReadonlySet<string>): Metadata {
    const md = metadataFromHeaders(this.exchange.headers as Record<string, string | string[]>);
    for (const key of md.keys()) {
      if (protocolHeaders.has(key) || key.startsWith("access-control-") || key.startsWith("sec-")) md.delete(key);
    }
    return md;
  }
  abstract sendHeader(header: Metadata | undefined, encoding: string | undefined): void;
  abstract finish(status: RpcError | null, trailer: Metadata | undefined, last?: Uint8Array, lastCompressed?: boolean): void;
  abstract finishWithoutResponse(status: RpcError | null, header: Metadata | undefined, trailer: Metadata | undefined): void;

  start(sink: ServerWireSink, _streaming: boolean): void {
    this.sink = sink;
    const body = this.exchange.body;
    const onData = (chunk: Buffer) => this.onData(chunk);
    // A reset also ends the body on HTTP/2, before the stream says it was reset: look a turn later.
    const onEnd = () => setImmediate(() => this.onRequestEnd());
    body.on("data", onData);
    body.on("end", onEnd);
    body.on("error", noop);
    this.exchange.onClose(() => {
      // The closed stream lets go of the call (see stream-close.ts).
      body.off("data", onData);
      body.off("end", onEnd);
      this.onClose();
    });
  }

  pause(): void {
    this.exchange.body.pause();
  }

  resume(): void {
    this.exchange.body.resume();
  }

  sendMessage(payload: Uint8Array, compressed: boolean): Promise<void> | undefined {
    if (this.finished) return undefined;
    const out = this.exchange.out;
    const flags = compressed ? flagCompressed : 0;
    if (out.writableLength >= queuedBytesLimit) {
      return (this.#drain ??= new DrainWaiter()).flushed((done) => this.writeFrame(payload, flags, false, done));
    }
    if (this.writeFrame(payload, flags, false)) return undefined;
    return (this.#drain ??= new DrainWaiter()).wait(out);
  }

  /** Writes one length-prefixed frame (base64 in text mode), and ends the body when `end`. */
  protected writeFrame(payload: Uint8Array, flags: number, end: boolean, written?: () => void): boolean {
    const out = this.exchange.out;
    try {
      if (!this.init.text) return writeEnvelope(out, payload, flags, end, written);
      // Each frame is its own padded base64 text: the protocol lets a body be several.
      const text = encodeEnvelope(payload, flags).toString("base64");
      if (end) {
        out.end(text);
        return true;
      }
      return written ? out.write(text, written) : out.write(text);
    } catch {
      // The client went away: its 'close' ends the call.
      return true;
    }
  }

  /**
   * Ends a response of framed messages: the last message if any, then the
   * protocol's closing frame (gRPC-Web's trailers, Connect's end of stream),
   * made only when the response is still open.
   */
  protected endStream(last: Uint8Array | undefined, lastCompressed: boolean | undefined, closing: () => { payload: Uint8Array; flags: number }): void {
    if (this.finished) return;
    this.markFinished();
    if (this.exchange.closed) return;
    if (last) this.writeFrame(last, lastCompressed ? flagCompressed : 0, false);
    const { payload, flags } = closing();
    this.writeFrame(payload, flags, true);
  }

  /** Marks the response complete; nothing more is read or written. */
  protected markFinished(): void {
    this.finished = true;
    this.#drain?.release();
  }

  protected onData(chunk: Buffer): void {
    if (this.finished) return;
    try {
      const bytes = this.#text ? this.#text.push(chunk) : chunk;
      (this.#reader ??= new EnvelopeReader(this.init.maxReceiveBytes)).read(bytes, this);
    } catch (e) {
      if (!this.finished) this.sink!.requestFailed(RpcError.from(e, Code.INTERNAL));
    }
  }

  /** Part of EnvelopeSink: a request message, read. */
  envelope(flags: number, data: Uint8Array): void {
    if (!this.finished) this.sink!.message(data, flags === flagCompressed);
  }

  protected onRequestEnd(): void {
    if (this.finished || this.exchange.closed) return;
    if (this.#reader?.partial || this.#text?.partial) {
      this.sink!.requestFailed(new RpcError(Code.INTERNAL, "protocol error: the request body ended in the middle of a message"));
    } else {
      this.sink!.requestEnd();
    }
  }

  protected onClose(): void {
    if (this.finished) return;
    this.markFinished();
    this.sink!.closed(new RpcError(Code.CANCELLED, "the client went away before the call completed"));
  }
}

function noop(): void {}
