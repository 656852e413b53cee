import type { DescMethod, Message } from "@bufbuild/protobuf";
import type { CallFn, StreamRequest, UnaryRequest, UnaryResponse, StreamResponse } from "../interceptor.js";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";
import { Metadata } from "../metadata/metadata.js";
import { AsyncQueue } from "../internal/async-queue.js";
import { findCompression, type Compression, type CompressionName } from "../internal/compression.js";
import { serializeMessage, toMessage } from "../internal/message-codec.js";
import { MessageReceiver, type MessageSink } from "../internal/message-receiver.js";
import { maxTimerMs } from "../internal/grpc-timeout.js";
import type { ServerWire, ServerWireSink } from "../internal/transport/server-wire.js";
import { CallContext } from "./call-context.js";
import type { HandlerContext } from "./handler-context.js";
import { handlerRequestOf } from "./handler-request.js";
import type { ActiveCalls, ActiveLinks } from "./active-calls.js";

/** A registered method: its descriptor and its handler behind the server's interceptors. */
export interface MethodEntry {
  readonly method: DescMethod;
  readonly invoke: CallFn;
  /**
   * The handler itself, when no interceptor applies to the method: the call
   * runs it directly, without the request and response objects only the
   * interceptor chain reads (`invoke` would do the same, at more cost).
   */
  readonly handler?: DirectHandler;
}

/** A method's handler: a message or messages in, a message (or its init, maybe as a promise) or an async iterable out. */
export type DirectHandler = (input: unknown, ctx: HandlerContext) => unknown;

/** What every call of a server shares, settled once in `createServer`. */
export interface ServerCallSettings {
  readonly maxReceiveBytes: number;
  readonly maxSendBytes: number;
  /** Bytes of request messages held for a handler that does not keep up before the stream pauses. */
  readonly receiveHighWaterMarkBytes: number;
  /** Encodings the server decodes, besides identity. */
  readonly acceptEncodings: ReadonlySet<string>;
  /** `grpc-accept-encoding` as sent: `identity,gzip,deflate`. */
  readonly acceptEncodingHeader: string;
  /** The server's default response encoding, used when the client accepts it. */
  readonly responseCompression: CompressionName | undefined;
  /** Where handler failures that are not `RpcError`s are reported. */
  readonly onHandlerError: (error: unknown, context: HandlerContext) => void;
  /** The calls in flight, so that a shutdown can end them with UNAVAILABLE. */
  readonly active: ActiveCalls<ServerCall>;
}

/**
 * One call, server side, whatever the protocol: reads the request from its
 * wire (with backpressure), runs the handler through the interceptor chain,
 * writes the response, and ends the call exactly once: with the handler's
 * status, or on deadline, client cancel, disconnect, shutdown or a protocol
 * error. The handler sees `context`, never this object.
 */
export class ServerCall implements ServerWireSink, MessageSink, ActiveLinks {
  activePrev: ActiveLinks | undefined = undefined;
  activeNext: ActiveLinks | undefined = undefined;
  readonly method: DescMethod;
  readonly context: CallContext;
  readonly wire: ServerWire;
  deadline: number | undefined = undefined;
  requestCompressed = false;
  // Metadata objects are made on first use: most calls never touch them.
  #metadata: Metadata | undefined;
  #responseHeader: Metadata | undefined;
  #responseTrailer: Metadata | undefined;
  readonly #entry: MethodEntry;
  readonly #settings: ServerCallSettings;
  readonly #receiver: MessageReceiver;
  #abort: AbortController | undefined;
  #abortReason: unknown = undefined;
  #timer: NodeJS.Timeout | undefined;
  #done = false;
  #headersSent = false;
  #sendCompression: Compression | undefined;
  #compressMessages = true;
  /** The request of a unary-request method, until the client half-closes. */
  #single: Message | undefined;
  #count = 0;
  /** Requests of a streaming-request method. */
  #queue: AsyncQueue<Message> | undefined;
  /** Compressed flags of queued requests; only kept when the request stream has an encoding. */
  #queuedFlags: boolean[] | undefined;

  constructor(wire: ServerWire, entry: MethodEntry, settings: ServerCallSettings) {
    this.wire = wire;
    this.#entry = entry;
    this.#settings = settings;
    this.method = entry.method;
    this.context = new CallContext(this);
    this.#receiver = new MessageReceiver(entry.method.input, settings.maxReceiveBytes, this, wire.codec, wire, settings.receiveHighWaterMarkBytes);
    if (settings.responseCompression) this.setResponseCompression(settings.responseCompression);
    settings.active.add(this);
    this.#start();
  }

  get metadata(): Metadata {
    return (this.#metadata ??= this.wire.requestMetadata());
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
    const accepted = this.wire.acceptEncoding.split(",").some((e) => e.trim() === encoding);
    this.#sendCompression = accepted ? findCompression(encoding) : undefined;
  }

  setMessageCompression(enabled: boolean): void {
    this.#compressMessages = enabled;
  }

  #start(): void {
    const wire = this.wire;
    const ms = wire.timeoutMs;
    if (ms !== undefined) {
      this.deadline = Date.now() + ms;
      // Past what a timer can hold (about 24.8 days), a deadline is as good as none.
      if (ms <= maxTimerMs) this.#timer = setTimeout(() => this.#onDeadline(), ms);
    }
    const encoding = wire.requestEncoding;
    if (encoding !== undefined) {
      const c = this.#settings.acceptEncodings.has(encoding) ? findCompression(encoding) : undefined;
      if (!c) {
        this.#end(new RpcError(Code.UNIMPLEMENTED, `message encoding "${encoding}" is not supported (accepted: ${this.#settings.acceptEncodingHeader})`));
        return;
      }
      this.#receiver.compression = c;
    }
    const kind = this.method.methodKind;
    if (kind === "client_streaming" || kind === "bidi_streaming") {
      const receiver = this.#receiver;
      this.#queue = new AsyncQueue<Message>(
        this.#settings.receiveHighWaterMarkBytes,
        () => receiver.hold(),
        () => receiver.release(),
        // The handler stopped reading: what the client still sends is dropped.
        () => receiver.discard(),
      );
      wire.start(this, true);
      // Without an encoding no message can be compressed: hand the queue over as it is.
      this.#invoke(true, this.#receiver.compression ? this.#requestIterable(this.#queue) : this.#queue);
    } else {
      wire.start(this, false);
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

  /** Part of ServerWireSink */
  message(payload: Uint8Array, compressed: boolean): void {
    if (!this.#done) this.#receiver.receive(payload, compressed);
  }

  /** Part of ServerWireSink */
  requestEnd(): void {
    if (this.#done) return;
    if (this.#queue) {
      const queue = this.#queue;
      this.#receiver.whenIdle(() => queue.end());
    } else if (this.#receiver.idle) {
      this.#requestComplete();
    } else {
      this.#receiver.whenIdle(() => this.#requestComplete());
    }
  }

  /** Part of ServerWireSink */
  requestFailed(error: RpcError): void {
    this.#end(error);
  }

  /** Part of ServerWireSink: the stream is gone, nothing more can be sent. */
  closed(error: RpcError): void {
    if (!this.#done) this.#complete(error);
  }

  /** Part of MessageSink: a parsed request message. */
  delivered(msg: Message, compressed: boolean, bytes: number): void {
    if (this.#done) return;
    if (this.#queue) {
      this.#queuedFlags?.push(compressed);
      this.#queue.push(msg, bytes);
      return;
    }
    if (++this.#count === 1) {
      this.#single = msg;
      this.requestCompressed = compressed;
    }
  }

  /** Part of MessageSink */
  fail(error: RpcError): void {
    this.#end(error);
  }

  #requestComplete(): void {
    if (this.#done) return;
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
    const direct = this.#entry.handler;
    if (direct) {
      this.#invokeDirect(direct, message);
      return;
    }
    const req = handlerRequestOf(this, streaming, message);
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

  /** Runs a handler no interceptor wraps (the router checked its result and set its context): the chain's work without its request and response objects. */
  #invokeDirect(run: DirectHandler, input: Message | AsyncIterable<Message>): void {
    let out: unknown;
    try {
      out = run(input, this.context);
    } catch (e) {
      this.#handlerFailed(e);
      return;
    }
    const kind = this.method.methodKind;
    if (kind === "server_streaming" || kind === "bidi_streaming") {
      void this.#sendStream(out as AsyncIterable<Message>);
    } else if (isThenable(out)) {
      out.then(
        (value) => this.#sendHandlerResult(value),
        (e) => this.#handlerFailed(e),
      );
    } else {
      this.#sendHandlerResult(out);
    }
  }

  /** A unary-response handler's result: a message of the output type, or its init. */
  #sendHandlerResult(value: unknown): void {
    let message: Message;
    try {
      message = toMessage(this.method.output, value as never);
    } catch (e) {
      this.#handlerFailed(e);
      return;
    }
    this.#sendUnary(message);
  }

  #serialize(message: Message): Uint8Array {
    return serializeMessage(this.wire.codec, this.method.output, message, this.#settings.maxSendBytes);
  }

  #sendUnary(message: Message): void {
    if (this.#done) return;
    let bytes: Uint8Array;
    try {
      bytes = this.#serialize(message);
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
    this.#complete();
    this.wire.finish(null, this.#responseTrailer, payload, compressed);
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
    this.#end(null);
  }

  #sendMessage(message: Message): Promise<void> | undefined {
    const bytes = this.#serialize(message);
    if (!this.#headersSent) this.#respond();
    const compression = this.#compressMessages ? this.#sendCompression : undefined;
    if (compression && bytes.byteLength > 0) {
      return compression.compress(bytes).then((out) => (this.#done ? undefined : this.wire.sendMessage(out, true)));
    }
    return this.wire.sendMessage(bytes, false);
  }

  #respond(): void {
    this.#headersSent = true;
    this.wire.sendHeader(this.#responseHeader, this.#sendCompression?.name);
  }

  #handlerFailed(e: unknown): void {
    if (e instanceof RpcError) {
      this.#end(e);
      return;
    }
    if (this.#done) return;
    this.#settings.onHandlerError(e, this.context);
    this.#end(new RpcError(Code.UNKNOWN, "the handler failed with an unexpected error"));
  }

  /** Ends the call with `error` (or OK when null): the status as trailers, or alone when nothing was sent. */
  #end(error: RpcError | null): void {
    if (this.#done) return;
    this.#complete(error ?? undefined);
    if (this.#headersSent) {
      this.wire.finish(error, this.#responseTrailer);
    } else {
      this.#headersSent = true;
      this.wire.finishWithoutResponse(error, this.#responseHeader, this.#responseTrailer);
    }
  }

  /** Marks the call done and releases everything it holds; the signal fires. */
  #complete(reason?: RpcError): void {
    this.#done = true;
    this.#settings.active.delete(this);
    if (this.#timer) clearTimeout(this.#timer);
    this.#queue?.end(reason ?? new RpcError(Code.CANCELLED, "the call has ended"));
    this.#receiver.discard();
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
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === "object" && typeof (value as { then?: unknown }).then === "function";
}

function completedReason(): RpcError {
  return new RpcError(Code.CANCELLED, "the call has completed");
}
