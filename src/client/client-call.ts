import type { DescMessage, Message } from "@bufbuild/protobuf";
import type { Codec } from "../codec/codec.js";
import type { StreamRequest, StreamResponse, UnaryResponse } from "../interceptor.js";
import { AsyncQueue } from "../internal/async-queue.js";
import type { Compression } from "../internal/compression.js";
import { maxTimerMs } from "../internal/grpc-timeout.js";
import { defaultReceiveHighWaterMarkBytes } from "../internal/limits.js";
import { serializeMessage } from "../internal/message-codec.js";
import { MessageReceiver, type MessageSink } from "../internal/message-receiver.js";
import type { ClientWire, ClientWireSink } from "../internal/transport/client-wire.js";
import { Metadata } from "../metadata/metadata.js";
import { Code } from "../status/code.js";
import type { Detail } from "../status/details.js";
import { RpcError } from "../status/rpc-error.js";
import { rejectWithCallerStack } from "../status/caller-stack.js";
import { streamResponseOf, unaryResponseOf } from "./response-view.js";

/** What a client call needs to know about itself, settled before it starts. */
export interface ClientCallSettings {
  readonly output: DescMessage;
  readonly codec: Codec;
  readonly maxReceiveBytes: number;
  /** Bytes of response messages held for a caller that does not keep up before the stream pauses. Default 256 KiB. */
  readonly receiveHighWaterMarkBytes?: number;
  readonly sendCompression: Compression | undefined;
  /** The decompressor of a response encoding (a parameter, so that browser transports need no `node:zlib`). */
  readonly findCompression: (encoding: string) => Compression | undefined;
  readonly deadline: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly onHeader: ((header: Metadata) => void) | undefined;
  readonly onTrailer: ((trailer: Metadata) => void) | undefined;
  /** Set when the call is one attempt of a retrying call (retrying-call.ts). */
  readonly attempt?: AttemptHooks;
}

/**
 * What a call that is one attempt of several tells the retrying call above
 * it, before the caller hears anything (gRFC A6's commit points).
 */
export interface AttemptHooks {
  /**
   * Response headers (not a trailers-only response) or a first message
   * arrived (Node may emit DATA before the headers' event): the retrying
   * call commits to this attempt. May be called twice.
   */
  responseStarted(attempt: ClientCall): void;
  /**
   * The attempt is ending with `status` (null: OK). True when the retrying
   * call takes over (another attempt, a backoff, or this attempt lost to
   * another): the attempt then ends without a word to the caller (no
   * `onHeader`, `onTrailer`, result). False when this outcome is the call's.
   */
  ending(attempt: ClientCall, status: RpcError | null): boolean;
}

/**
 * One call, client side, whatever the protocol: a state machine fed by its
 * wire. It sends the request (with backpressure), enforces the deadline and
 * the caller's signal, decodes the response, ends exactly once with one
 * status, and hands messages to one reader: `response()` builds the
 * interceptor chain's view of it.
 */
export class ClientCall implements ClientWireSink, MessageSink {
  readonly #wire: ClientWire;
  readonly #settings: ClientCallSettings;
  readonly #receiver: MessageReceiver;
  /** undefined while running; null once ended OK; the error once failed. */
  #status: RpcError | null | undefined = undefined;
  #headerSeen = false;
  /** A trailers-only response: `onHeader` is called with the status, once it is known to be the caller's. */
  #headerPending = false;
  #queue: AsyncQueue<Message> | undefined;
  #single: Message | undefined;
  #count = 0;
  #unary: { resolve: (m: Message) => void; reject: (e: RpcError) => void } | undefined;
  /** `settleUnary` wants the UnaryResponse, not the message alone. */
  #wholeResponse = false;
  #timer: NodeJS.Timeout | undefined;
  #onAbort: (() => void) | undefined;
  #endedPromise: Promise<void> | undefined;
  #resolveEnded: (() => void) | undefined;
  /** Stops `pump` waiting for its source when the call ends. */
  #wakePump: (() => void) | undefined;

  constructor(wire: ClientWire, settings: ClientCallSettings) {
    this.#wire = wire;
    this.#settings = settings;
    this.#receiver = new MessageReceiver(
      settings.output,
      settings.maxReceiveBytes,
      this,
      settings.codec,
      wire,
      settings.receiveHighWaterMarkBytes ?? defaultReceiveHighWaterMarkBytes,
    );
    wire.start(this);
    if (settings.deadline !== undefined) {
      const ms = settings.deadline - Date.now();
      // Past what a timer can hold (about 24.8 days), a deadline is as good as none here.
      if (ms <= maxTimerMs) this.#timer = setTimeout(() => this.cancel(deadlineError()), Math.max(0, ms));
    }
    if (settings.signal) {
      this.#onAbort = () => this.#aborted();
      settings.signal.addEventListener("abort", this.#onAbort);
    }
  }

  /** Response headers (empty until they arrive, and for a trailers-only response). */
  get header(): Metadata {
    return this.#wire.header();
  }

  /** Response trailers (empty until they arrive). */
  get trailer(): Metadata {
    return this.#wire.trailer();
  }

  /** Whether the server certainly never processed this call (it may be retried transparently, gRFC A6). */
  get unprocessed(): boolean {
    return this.#wire.unprocessed === true;
  }

  /** The raw `grpc-retry-pushback-ms` the server sent with its status, if any. */
  get retryPushback(): string | undefined {
    return this.#wire.retryPushback?.();
  }

  /** How the call ended: undefined while running, null for OK, else the error. */
  get outcome(): RpcError | null | undefined {
    return this.#status;
  }

  /** Whether the call has ended; sending after that is pointless. */
  get ended(): boolean {
    return this.#status !== undefined;
  }

  /** Resolves when the call ends, however it ends. */
  whenEnded(): Promise<void> {
    if (this.#status !== undefined) return Promise.resolve();
    return (this.#endedPromise ??= new Promise<void>((resolve) => (this.#resolveEnded = resolve)));
  }

  /** Sends one serialized message; resolves when the wire can take more. */
  send(bytes: Uint8Array, compress = true): Promise<void> | undefined {
    if (this.#status !== undefined) return undefined;
    const compression = this.#settings.sendCompression;
    if (compression && compress && bytes.byteLength > 0) {
      return compression.compress(bytes).then((out) => (this.#status === undefined ? this.#wire.send(out, true) : undefined));
    }
    return this.#wire.send(bytes, false);
  }

  /** Half-closes: no more request messages. */
  halfClose(): void {
    if (this.#status === undefined) this.#wire.closeSend();
  }

  /** Sends the last message and half-closes, in one write: the unary fast path. */
  sendLast(bytes: Uint8Array): void {
    const compression = this.#settings.sendCompression;
    if (compression && bytes.byteLength > 0) {
      compression.compress(bytes).then(
        (out) => this.#wire.sendLast(out, true),
        (e) => this.cancel(RpcError.from(e, Code.INTERNAL)),
      );
    } else {
      this.#wire.sendLast(bytes, false);
    }
  }

  /**
   * Sends a request stream with backpressure, then half-closes; a failing
   * source cancels the call. A source may wait for its producer for ever (a
   * writable iterable nobody writes to): when the call ends meanwhile, it
   * stops waiting and tells the source, so pending writes fail, not hang.
   */
  async pump(req: StreamRequest, maxSendBytes: number, compressMessage: ((m: Message, i: number) => boolean) | undefined): Promise<void> {
    const source = req.message[Symbol.asyncIterator]();
    const codec = this.#settings.codec;
    let index = 0;
    try {
      for (;;) {
        const r = await this.#nextRequest(source);
        if (typeof r === "symbol" || this.ended) break;
        if (r.done) {
          this.#wire.closeSend();
          return;
        }
        const bytes = serializeMessage(codec, req.method.input, r.value, maxSendBytes);
        const wait = this.send(bytes, compressMessage ? compressMessage(r.value, index) : true);
        index++;
        if (wait) await wait;
      }
    } catch (e) {
      this.cancel(RpcError.from(e, Code.CANCELLED));
    }
    void source.return?.()?.catch?.(() => undefined);
  }

  /**
   * The source's next request, or `endedMarker` as soon as the call ends.
   * Not `Promise.race` with one promise for the whole call: each race would
   * leave a reaction on it holding that round's request until the call ends.
   */
  #nextRequest(source: AsyncIterator<Message>): Promise<IteratorResult<Message> | typeof endedMarker> {
    if (this.#status !== undefined) return Promise.resolve(endedMarker);
    return new Promise((resolve, reject) => {
      this.#wakePump = () => resolve(endedMarker);
      source.next().then(
        (r) => {
          this.#wakePump = undefined;
          resolve(r);
        },
        (e) => {
          this.#wakePump = undefined;
          reject(e);
        },
      );
    });
  }

  /** The interceptor chain's view of the response: a stream of messages, or the one message once it arrives. */
  response(streaming: boolean): Promise<UnaryResponse | StreamResponse> {
    if (streaming) return Promise.resolve(streamResponseOf(this, this.messages()));
    return this.unaryResult().then((message) => unaryResponseOf(this, message));
  }

  /** Ends the call with `error` and cancels it on the wire. */
  cancel(error: RpcError): void {
    if (this.#status !== undefined) return;
    this.#wire.cancel();
    this.#finish(error);
  }

  /**
   * Settles `resolve` or `reject` with the interceptor chain's view of a
   * unary response, when the call ends: how a retrying call hands over the
   * attempt it chose without a promise of its own per attempt.
   */
  settleUnary(resolve: (r: UnaryResponse) => void, reject: (e: RpcError) => void): void {
    this.#wholeResponse = true;
    const u = { resolve: resolve as (m: Message | UnaryResponse) => void, reject };
    if (this.#status !== undefined) this.#settleUnary(u.resolve, reject);
    else this.#unary = u;
  }

  /** The one response message of a unary or client-streaming call. */
  unaryResult(): Promise<Message> {
    return new Promise((resolve, reject) => {
      if (this.#status !== undefined) this.#settleUnary(resolve, reject);
      else this.#unary = { resolve, reject };
    });
  }

  /** The response messages of a server-streaming or bidi call; stopping early cancels the call. */
  messages(): AsyncQueue<Message> {
    this.#queue ??= new AsyncQueue<Message>(
      this.#settings.receiveHighWaterMarkBytes ?? defaultReceiveHighWaterMarkBytes,
      () => this.#receiver.hold(),
      () => this.#receiver.release(),
      () => this.cancel(new RpcError(Code.CANCELLED, "the client stopped reading the response stream")),
      rejectWithCallerStack,
    );
    return this.#queue;
  }

  /** Part of ClientWireSink */
  headerReceived(encoding: string | undefined, trailersOnly?: boolean): void {
    if (this.#status !== undefined || this.#headerSeen) return;
    if (trailersOnly) {
      this.#headerSeen = true;
      this.#headerPending = true;
      return;
    }
    this.#settings.attempt?.responseStarted(this);
    if (encoding !== undefined) {
      this.#receiver.compression = this.#settings.findCompression(encoding);
      if (!this.#receiver.compression) {
        this.cancel(new RpcError(Code.INTERNAL, `server sent messages in unsupported encoding "${encoding}"`));
        return;
      }
    }
    this.#headerSeen = true;
    this.#settings.onHeader?.(this.header);
  }

  /** Part of ClientWireSink */
  message(payload: Uint8Array, compressed: boolean): void {
    if (this.#status === undefined) this.#receiver.receive(payload, compressed);
  }

  /** Part of ClientWireSink */
  status(code: Code, message: string, details: Detail[]): void {
    if (this.#status !== undefined) return;
    const status = code === Code.OK ? null : new RpcError(code, message, { metadata: mergeMetadata(this.header, this.trailer), details });
    this.#receiver.whenIdle(() => this.#finish(status));
  }

  /** Part of ClientWireSink */
  failed(error: RpcError): void {
    if (this.#status !== undefined) return;
    this.#receiver.whenIdle(() => this.#finish(error));
  }

  /** Part of MessageSink */
  delivered(msg: Message, _compressed: boolean, bytes: number): void {
    if (this.#status !== undefined) return;
    if (this.#count === 0) this.#settings.attempt?.responseStarted(this);
    this.#count++;
    if (this.#queue) this.#queue.push(msg, bytes);
    else if (this.#count === 1) this.#single = msg;
    else if (this.#unary) this.cancel(new RpcError(Code.UNIMPLEMENTED, "protocol error: more than one response message for a unary call"));
    else this.messages().push(msg, bytes);
  }

  /** Part of MessageSink */
  fail(error: RpcError): void {
    this.cancel(error);
  }

  #aborted(): void {
    const reason = this.#settings.signal?.reason;
    this.cancel(reason instanceof RpcError ? reason : new RpcError(Code.CANCELLED, "the call was cancelled by the client", { cause: reason }));
  }

  #finish(status: RpcError | null): void {
    if (this.#status !== undefined) return;
    // A deadline that has passed wins over whatever the reset said.
    if (status && status.code === Code.CANCELLED && this.#settings.deadline !== undefined && Date.now() >= this.#settings.deadline) {
      status = deadlineError();
    }
    const quiet = this.#settings.attempt !== undefined && this.#settings.attempt.ending(this, status);
    this.#status = status;
    this.#resolveEnded?.();
    this.#wakePump?.();
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#onAbort) this.#settings.signal!.removeEventListener("abort", this.#onAbort);
    this.#wire.finished();
    if (quiet) return;
    if (this.#headerPending) this.#settings.onHeader?.(this.header);
    if (status === null || this.#headerSeen || this.trailer.size > 0) this.#settings.onTrailer?.(this.trailer);
    const u = this.#unary;
    if (u) {
      this.#unary = undefined;
      this.#settleUnary(u.resolve, u.reject);
    }
    this.#queue?.end(status ?? undefined);
    this.#receiver.discard();
  }

  #settleUnary(resolve: (m: Message) => void, reject: (e: RpcError) => void): void {
    const status = this.#status!;
    if (status !== null) reject(status);
    else if (this.#count === 1) resolve(this.#wholeResponse ? (unaryResponseOf(this, this.#single!) as unknown as Message) : this.#single!);
    else if (this.#count === 0) reject(new RpcError(Code.UNIMPLEMENTED, "protocol error: no response message for a unary call"));
    else reject(new RpcError(Code.UNIMPLEMENTED, "protocol error: more than one response message for a unary call"));
  }
}

const endedMarker: unique symbol = Symbol("ended");

function deadlineError(): RpcError {
  return new RpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded");
}

function mergeMetadata(a: Metadata, b: Metadata): Metadata {
  if (a.size === 0) return b;
  return new Metadata(a).merge(b);
}

/**
 * Why a call must not start at all: its signal is already aborted
 * (CANCELLED; the reason itself if it is an `RpcError`) or its deadline has
 * passed (DEADLINE_EXCEEDED). Every transport asks before it sends anything.
 */
export function refusedBeforeStart(req: { readonly signal: AbortSignal | undefined; readonly deadline: number | undefined }): RpcError | undefined {
  if (req.signal?.aborted) {
    const reason = req.signal.reason;
    // An AbortSignal.timeout() reason (TimeoutError) counts as a deadline, an AbortError as a cancel.
    return reason === undefined ? new RpcError(Code.CANCELLED, "the call was cancelled by the client") : RpcError.from(reason, Code.CANCELLED);
  }
  if (req.deadline !== undefined && req.deadline <= Date.now()) return new RpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded before the call started");
  return undefined;
}
