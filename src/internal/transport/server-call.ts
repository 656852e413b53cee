import { constants, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import type { DescMethod, Message } from "@bufbuild/protobuf";
import type { CallFn, StreamRequest, UnaryRequest, UnaryResponse, StreamResponse } from "../../interceptor.js";
import type { HandlerContext } from "../../server/handler-context.js";
import { Code } from "../../status/code.js";
import { RpcError } from "../../status/rpc-error.js";
import { Metadata, metadataFromHeaders } from "../../metadata/metadata.js";
import { AsyncQueue } from "../async-queue.js";
import { findCompression, type Compression, type CompressionName } from "../compression.js";
import { writeEnvelope } from "../envelope.js";
import { parseTimeout } from "../grpc-timeout.js";
import { serializeMessage } from "../message-codec.js";
import { MessageReceiver, type MessageSink } from "../message-receiver.js";
import { writeStatus } from "../status-trailers.js";
import { DrainWaiter } from "./drain-waiter.js";
import { createContextValues, type ContextValues } from "../../context-values.js";
import { peerTlsOf, type PeerTlsInfo } from "../../credentials/peer-tls.js";

/** How many request messages may wait for a slow handler before the stream pauses. */
const highWaterMark = 16;
/** Bytes of response messages queued on a stream past which each write waits to be flushed. */
const queuedBytesLimit = 2048;

/** A registered method: its descriptor and its handler behind the server's interceptors. */
export interface MethodEntry {
  readonly method: DescMethod;
  readonly invoke: CallFn;
}

/** What every call of a server shares, settled once in `createServer`. */
export interface ServerCallSettings {
  readonly maxReceiveBytes: number;
  readonly maxSendBytes: number;
  /** Encodings the server decodes, besides identity. */
  readonly acceptEncodings: ReadonlySet<string>;
  /** `grpc-accept-encoding` as sent: `identity,gzip,deflate`. */
  readonly acceptEncodingHeader: string;
  /** The server's default response encoding, used when the client accepts it. */
  readonly responseCompression: CompressionName | undefined;
  /** Where handler failures that are not `RpcError`s are reported. */
  readonly onHandlerError: (error: unknown, context: HandlerContext) => void;
  /** The calls in flight, so that a shutdown can end them with UNAVAILABLE. */
  readonly active: Set<ServerCall>;
}

type Trailers = Record<string, string | string[]>;

/**
 * One call on one HTTP/2 stream, server side, and the `HandlerContext` its
 * handler sees. Reads the request (with backpressure), runs the handler
 * through the interceptor chain, writes the response, and ends the call
 * exactly once: with the handler's status, or on deadline, client cancel,
 * disconnect or a protocol error.
 */
export class ServerCall implements HandlerContext, MessageSink {
  readonly method: DescMethod;
  deadline: number | undefined = undefined;
  requestCompressed = false;

  readonly #stream: ServerHttp2Stream;
  readonly #headers: IncomingHttpHeaders;
  // Metadata objects are made on first use: most calls never touch them.
  #metadata: Metadata | undefined;
  #responseHeader: Metadata | undefined;
  #responseTrailer: Metadata | undefined;
  readonly #entry: MethodEntry;
  readonly #settings: ServerCallSettings;
  readonly #receiver: MessageReceiver;
  readonly #clientAccepts: string;
  #abort: AbortController | undefined;
  #values: ContextValues | undefined;
  #abortReason: unknown = undefined;
  #timer: NodeJS.Timeout | undefined;
  #done = false;
  #headersSent = false;
  #trailers: Trailers | undefined;
  #sendCompression: Compression | undefined;
  #compressMessages = true;
  #drain: DrainWaiter | undefined;
  /** Requests of a unary-request method, until the client half-closes. */
  #single: Message | undefined;
  #count = 0;
  /** Requests of a streaming-request method. */
  #queue: AsyncQueue<Message> | undefined;
  /** Compressed flags of queued requests; only kept when the request stream has an encoding. */
  #queuedFlags: boolean[] | undefined;

  constructor(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, entry: MethodEntry, settings: ServerCallSettings) {
    this.#stream = stream;
    this.#entry = entry;
    this.#settings = settings;
    this.method = entry.method;
    this.#headers = headers;
    this.#receiver = new MessageReceiver(entry.method.input, settings.maxReceiveBytes, this);
    const accept = headers["grpc-accept-encoding"];
    this.#clientAccepts = typeof accept === "string" ? accept : "";
    if (settings.responseCompression) this.setResponseCompression(settings.responseCompression);
    (stream as CallStream)[kCall] = this;
    stream.on("wantTrailers", onWantTrailers);
    stream.on("close", onClose);
    // 'error' already has a listener: the server adds one to every stream it sees.
    settings.active.add(this);
    this.#start(headers);
  }

  get metadata(): Metadata {
    return (this.#metadata ??= metadataFromHeaders(this.#headers));
  }

  get responseHeader(): Metadata {
    return (this.#responseHeader ??= new Metadata());
  }

  get responseTrailer(): Metadata {
    return (this.#responseTrailer ??= new Metadata());
  }

  get signal(): AbortSignal {
    if (!this.#abort) {
      this.#abort = new AbortController();
      if (this.#done) this.#abort.abort(this.#abortReason ?? completedReason());
    }
    return this.#abort.signal;
  }

  get values(): ContextValues {
    return (this.#values ??= createContextValues());
  }

  get tls(): PeerTlsInfo | undefined {
    return peerTlsOf(this.#stream.session);
  }

  get peer(): string {
    const socket = this.#stream.session?.socket;
    if (!socket) return "";
    const addr = socket.remoteAddress ?? "";
    return `${addr.includes(":") ? `[${addr}]` : addr}:${socket.remotePort ?? 0}`;
  }

  timeRemainingMs(): number | undefined {
    return this.deadline === undefined ? undefined : Math.max(0, this.deadline - Date.now());
  }

  sendHeader(): void {
    if (!this.#headersSent && !this.#done) this.#respond();
  }

  setResponseCompression(encoding: "identity" | "gzip" | "deflate"): void {
    if (this.#headersSent) throw new Error("setResponseCompression: the response headers were already sent");
    if (encoding === "identity") {
      this.#sendCompression = undefined;
      return;
    }
    // Only compress with an encoding the client said it can read.
    const accepted = this.#clientAccepts.split(",").some((e) => e.trim() === encoding);
    this.#sendCompression = accepted ? findCompression(encoding) : undefined;
  }

  setMessageCompression(enabled: boolean): void {
    this.#compressMessages = enabled;
  }

  #start(headers: IncomingHttpHeaders): void {
    const timeout = headers["grpc-timeout"];
    if (timeout !== undefined) {
      const ms = parseTimeout(String(timeout));
      if (ms === undefined) {
        this.#end(new RpcError(Code.INTERNAL, `malformed grpc-timeout "${String(timeout)}"`));
        return;
      }
      this.deadline = Date.now() + ms;
      this.#timer = setTimeout(() => this.#onDeadline(), ms);
    }
    const encoding = headers["grpc-encoding"];
    if (typeof encoding === "string" && encoding !== "identity") {
      const c = this.#settings.acceptEncodings.has(encoding) ? findCompression(encoding) : undefined;
      if (!c) {
        this.#end(new RpcError(Code.UNIMPLEMENTED, `message encoding "${encoding}" is not supported (accepted: ${this.#settings.acceptEncodingHeader})`));
        return;
      }
      this.#receiver.compression = c;
    }
    const stream = this.#stream;
    stream.on("data", onData);
    const kind = this.method.methodKind;
    if (kind === "client_streaming" || kind === "bidi_streaming") {
      this.#queue = new AsyncQueue<Message>(
        highWaterMark,
        () => stream.pause(),
        () => stream.resume(),
        () => stream.resume(),
      );
      // A RST_STREAM also ends the readable side, and Node emits that 'end' before it marks the
      // stream aborted: look once the frame has been handled, or a cancelled upload would reach
      // the handler as a complete request stream.
      stream.on("end", () =>
        setImmediate(() => {
          if (this.#done || stream.aborted || stream.rstCode) return;
          this.#receiver.whenIdle(() => {
            if (this.#receiver.partial) this.#end(truncatedError());
            else this.#queue!.end();
          });
        }),
      );
      // Without an encoding no message can be compressed: hand the queue over as it is.
      this.#invoke(true, this.#receiver.compression ? this.#requestIterable(this.#queue) : this.#queue);
    } else {
      stream.on("end", onUnaryRequestEnd);
    }
  }

  /** The handler's view of the request stream: it records each message's compressed flag as it is read. */
  #requestIterable(queue: AsyncQueue<Message>): AsyncIterable<Message> {
    const flags = (this.#queuedFlags = []);
    return {
      [Symbol.asyncIterator]: () => ({
        next: () =>
          queue.next().then((r) => {
            if (!r.done) this.requestCompressed = flags.shift() ?? false;
            return r;
          }),
        return: () => queue.return(),
      }),
    };
  }

  /** @internal MessageSink */
  message(msg: Message, compressed: boolean): void {
    if (this.#done) return;
    if (this.#queue) {
      this.#queuedFlags?.push(compressed);
      this.#queue.push(msg);
      return;
    }
    if (++this.#count === 1) {
      this.#single = msg;
      this.requestCompressed = compressed;
    }
  }

  /** @internal MessageSink */
  fail(error: RpcError): void {
    this.#end(error);
  }

  #requestComplete(): void {
    if (this.#done) return;
    if (this.#receiver.partial) {
      this.#end(truncatedError());
      return;
    }
    if (this.#count !== 1) {
      this.#end(
        new RpcError(
          Code.UNIMPLEMENTED,
          this.#count === 0 ? "protocol error: no request message for a unary-request method" : "protocol error: more than one request message for a unary-request method",
        ),
      );
      return;
    }
    const message = this.#single!;
    this.#single = undefined;
    this.#invoke(false, message);
  }


  #invoke(streaming: boolean, message: Message | AsyncIterable<Message>): void {
    const ctx = this;
    const req = {
      stream: streaming,
      method: this.method,
      side: "server",
      // Getters: the metadata and the AbortController behind them are made only if someone asks.
      get header() {
        return ctx.metadata;
      },
      get signal() {
        return ctx.signal;
      },
      deadline: this.deadline,
      context: this,
      options: undefined,
      message,
    } as UnaryRequest | StreamRequest;
    let result: Promise<UnaryResponse | StreamResponse>;
    try {
      result = this.#entry.invoke(req);
    } catch (e) {
      this.#handlerFailed(e);
      return;
    }
    result.then(
      (res) => (res.stream ? this.#sendStream(res.message) : this.#sendUnary(res.message)),
      (e) => this.#handlerFailed(e),
    );
  }

  #sendUnary(message: Message): void {
    if (this.#done) return;
    let bytes: Uint8Array;
    try {
      bytes = serializeMessage(this.method.output, message, this.#settings.maxSendBytes);
    } catch (e) {
      this.#end(RpcError.from(e, Code.INTERNAL));
      return;
    }
    const compression = this.#compressMessages ? this.#sendCompression : undefined;
    if (compression && bytes.byteLength > 0) {
      compression.compress(bytes).then(
        (out) => this.#finishWith(out, true),
        (e) => this.#end(RpcError.from(e, Code.INTERNAL)),
      );
    } else {
      this.#finishWith(bytes, false);
    }
  }

  /** Writes the last message and the OK status. */
  #finishWith(payload: Uint8Array, compressed: boolean): void {
    if (this.#done) return;
    if (!this.#headersSent) this.#respond();
    this.#trailers = this.#okTrailers();
    this.#complete();
    writeEnvelope(this.#stream, payload, compressed, true);
  }

  async #sendStream(messages: AsyncIterable<Message>): Promise<void> {
    try {
      for await (const m of messages) {
        if (this.#done) break;
        const wait = this.#sendMessage(m);
        if (wait) await wait;
        if (this.#done) break;
      }
    } catch (e) {
      this.#handlerFailed(e);
      return;
    }
    if (this.#done) return;
    if (!this.#headersSent) {
      this.#end(null);
      return;
    }
    this.#trailers = this.#okTrailers();
    this.#complete();
    this.#stream.end();
  }

  #sendMessage(message: Message): Promise<void> | undefined {
    const bytes = serializeMessage(this.method.output, message, this.#settings.maxSendBytes);
    if (!this.#headersSent) this.#respond();
    const compression = this.#compressMessages ? this.#sendCompression : undefined;
    if (compression && bytes.byteLength > 0) {
      return compression.compress(bytes).then((out) => this.#write(out, true));
    }
    return this.#write(bytes, false);
  }

  #write(payload: Uint8Array, compressed: boolean): Promise<void> | undefined {
    if (this.#done) return undefined;
    const stream = this.#stream;
    // Node buffers up to 16 KiB per stream before write() says stop: hundreds
    // of small messages for a client that does not read. Past a few KiB, wait
    // until each message is flushed, so a blocked call holds little memory.
    if (stream.writableLength >= queuedBytesLimit) {
      return (this.#drain ??= new DrainWaiter()).flushed((done) => writeEnvelope(stream, payload, compressed, false, done));
    }
    if (writeEnvelope(stream, payload, compressed, false)) return undefined;
    return (this.#drain ??= new DrainWaiter()).wait(this.#stream);
  }

  #respond(): void {
    this.#headersSent = true;
    const headers: Trailers = {
      ":status": "200",
      "content-type": "application/grpc",
      "grpc-accept-encoding": this.#settings.acceptEncodingHeader,
    };
    if (this.#sendCompression) headers["grpc-encoding"] = this.#sendCompression.name;
    this.#responseHeader?.writeTo(headers);
    try {
      this.#stream.respond(headers, { waitForTrailers: true });
    } catch {
      // The stream closed under us; #onClose ends the call.
    }
  }

  #okTrailers(): Trailers {
    const t: Trailers = {};
    writeStatus(t, Code.OK, "");
    this.#responseTrailer?.writeTo(t);
    return t;
  }

  /** @internal A DATA chunk of the request. */
  onData(chunk: Buffer): void {
    if (!this.#done) this.#receiver.push(chunk);
  }

  /** @internal The client half-closed a unary-request call: run it once every message is in. */
  onUnaryRequestEnd(): void {
    if (this.#receiver.idle) this.#requestComplete();
    else this.#receiver.whenIdle(() => this.#requestComplete());
  }

  /** @internal The stream asks for trailers: all data is out. */
  onWantTrailers(): void {
    const t = this.#trailers ?? { "grpc-status": String(Code.INTERNAL) };
    try {
      this.#stream.sendTrailers(t);
    } catch {
      // Closed meanwhile: nothing left to tell the client.
    }
  }

  #handlerFailed(e: unknown): void {
    if (e instanceof RpcError) {
      this.#end(e);
      return;
    }
    if (this.#done) return;
    this.#settings.onHandlerError(e, this);
    this.#end(new RpcError(Code.UNKNOWN, "the handler failed with an unexpected error"));
  }

  /** Ends the call with `error` (or OK when null), as trailers or trailers-only. */
  #end(error: RpcError | null): void {
    if (this.#done) return;
    const stream = this.#stream;
    const trailers: Trailers = {};
    writeStatus(trailers, error ? error.code : Code.OK, error ? error.rawMessage : "", error?.details);
    this.#responseTrailer?.writeTo(trailers);
    error?.metadata.writeTo(trailers);
    this.#complete(error ?? undefined);
    if (stream.closed || stream.destroyed) return;
    try {
      if (!this.#headersSent) {
        this.#headersSent = true;
        const headers: Trailers = {
          ":status": "200",
          "content-type": "application/grpc",
          "grpc-accept-encoding": this.#settings.acceptEncodingHeader,
        };
        this.#responseHeader?.writeTo(headers);
        Object.assign(headers, trailers);
        stream.respond(headers, { endStream: true });
      } else {
        this.#trailers = trailers;
        stream.end();
      }
    } catch {
      // The stream closed under us; nothing left to tell the client.
    }
  }

  /** Marks the call done and releases everything it holds; the signal fires. */
  #complete(reason?: RpcError): void {
    this.#done = true;
    this.#settings.active.delete(this);
    if (this.#timer) clearTimeout(this.#timer);
    this.#drain?.release();
    this.#queue?.end(reason ?? new RpcError(Code.CANCELLED, "the call has ended"));
    // The reason is built only if a signal exists or is asked for later: most calls never look.
    this.#abortReason = reason;
    this.#abort?.abort(reason ?? completedReason());
  }

  /** Ends the call because the server is going away (the grace period is over). */
  abortForShutdown(): void {
    this.#end(new RpcError(Code.UNAVAILABLE, "the server is shutting down"));
  }

  #onDeadline(): void {
    this.#timer = undefined;
    this.#end(new RpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded"));
  }


  /** @internal The stream closed: if the call had not ended, the client went away. */
  onClose(): void {
    if (this.#done) return;
    const rst = this.#stream.rstCode;
    this.#complete(
      new RpcError(Code.CANCELLED, rst === constants.NGHTTP2_CANCEL ? "the client cancelled the call" : "the stream closed before the call completed"),
    );
  }
}

function completedReason(): RpcError {
  return new RpcError(Code.CANCELLED, "the call has completed");
}

function truncatedError(): RpcError {
  return new RpcError(Code.INTERNAL, "protocol error: the request stream ended in the middle of a message");
}

const kCall = Symbol("tsgrpc.serverCall");
type CallStream = ServerHttp2Stream & { [kCall]: ServerCall };

// Listeners shared by every stream (Node calls them with the stream as
// `this`), instead of closures made per call.
function onWantTrailers(this: CallStream): void {
  this[kCall].onWantTrailers();
}
function onData(this: CallStream, chunk: Buffer): void {
  this[kCall].onData(chunk);
}
function onUnaryRequestEnd(this: CallStream): void {
  this[kCall].onUnaryRequestEnd();
}
function onClose(this: CallStream): void {
  this[kCall].onClose();
}

