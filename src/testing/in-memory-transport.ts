import type { DescMethod, Message } from "@bufbuild/protobuf";
import type { Codec } from "../codec/codec.js";
import { protoCodec } from "../codec/proto-codec.js";
import type { Transport } from "../client/transport.js";
import type { Interceptor, StreamRequest, StreamResponse, UnaryRequest, UnaryResponse } from "../interceptor.js";
import { AsyncQueue } from "../internal/async-queue.js";
import { maxTimerMs } from "../internal/grpc-timeout.js";
import { checkByteLimit, defaultMaxReceiveBytes, unlimitedBytes } from "../internal/limits.js";
import { parseMessage, serializeMessage } from "../internal/message-codec.js";
import type { ServerWire, ServerWireSink } from "../internal/transport/server-wire.js";
import { Metadata, metadataFromHeaders } from "../metadata/metadata.js";
import { ServerCall } from "../server/server-call.js";
import { serverInternals, type ServerInternals } from "../server/server-internals.js";
import type { Server } from "../server/create-server.js";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";

/** Options of `createInMemoryTransport`. */
export interface InMemoryTransportOptions {
  /** Interceptors around every call, outside the client's own. */
  interceptors?: Interceptor[];
  /** How messages are serialized between client and handlers. Default `protoCodec`. */
  codec?: Codec;
  /** Largest response message accepted, in bytes. Default 4 MiB, as a channel's. */
  maxReceiveBytes?: number;
  /** Largest request message sent, in bytes. Default unlimited, as a channel's. */
  maxSendBytes?: number;
}

/** How many response messages wait for a slow reader before the handler's `yield` waits. */
const highWaterMark = 16;

/**
 * A transport that runs the handlers of `server` in this process, with no
 * socket and no HTTP/2: for unit tests of services and of the code that
 * calls them. The server need not listen. Calls go through the same server
 * call as over the network: the server's interceptors, deadlines (sent as a
 * timeout, enforced on both sides), cancellation (abort, early `return()`
 * of a response stream), metadata (with the network's rules: reserved keys
 * dropped, `-bin` values copied), statuses with details, message limits,
 * and backpressure in both directions. Messages are serialized with the
 * codec both ways, so the handler and the caller never share an object.
 *
 * ```ts
 * import { createInMemoryTransport } from "tsgrpc/testing";
 *
 * const server = createServer().service(UserService, impl);
 * const users = createClient(UserService, createInMemoryTransport(server));
 * assert.equal((await users.getUser({ id: "1" })).user?.id, "1");
 * ```
 */
export function createInMemoryTransport(server: Server, options: InMemoryTransportOptions = {}): Transport {
  const internals = serverInternals(server, "createInMemoryTransport");
  const codec = options.codec ?? protoCodec;
  const defaults = {
    maxReceiveBytes: checkByteLimit(options.maxReceiveBytes, "maxReceiveBytes", defaultMaxReceiveBytes),
    maxSendBytes: checkByteLimit(options.maxSendBytes, "maxSendBytes", unlimitedBytes),
  };
  return {
    interceptors: options.interceptors ?? [],
    call(req) {
      if (req.signal?.aborted) return Promise.reject(RpcError.from(req.signal.reason, Code.CANCELLED));
      if (req.deadline !== undefined && req.deadline <= Date.now()) {
        return Promise.reject(new RpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded before the call started"));
      }
      if (internals.closing) return Promise.reject(new RpcError(Code.UNAVAILABLE, "the server is shutting down"));
      const o = req.options ?? {};
      const maxSendBytes = o.maxSendBytes ?? defaults.maxSendBytes;
      let first: Uint8Array | undefined;
      if (!req.stream) {
        try {
          first = serializeMessage(codec, req.method.input, req.message, maxSendBytes);
        } catch (e) {
          return Promise.reject(e);
        }
      }
      const call = new InMemoryCall(req, codec, o.maxReceiveBytes ?? defaults.maxReceiveBytes, internals);
      return call.run(first, maxSendBytes);
    },
  };
}

/**
 * One in-memory call: the server call's wire on one side, the client's view
 * of the response (unary result or message stream, header, trailer,
 * status) on the other.
 */
class InMemoryCall implements ServerWire {
  readonly codec: Codec;
  readonly timeoutMs: number | undefined;
  readonly requestEncoding = undefined;
  readonly acceptEncoding = "";
  readonly peer = "in-memory";
  readonly tls = undefined;
  readonly #req: UnaryRequest | StreamRequest;
  readonly #method: DescMethod;
  readonly #maxReceiveBytes: number;
  readonly #internals: ServerInternals;
  #sink: ServerWireSink | undefined;
  /** The server has sent its status (or the call was cancelled): nothing more goes either way. */
  #serverDone = false;
  /** While the server wants no more requests: the request pump waits on it. */
  #paused: { promise: Promise<void>; resolve: () => void } | undefined;
  // The client's side.
  #status: RpcError | null | undefined = undefined;
  #header = new Metadata();
  #trailer = new Metadata();
  #headerSeen = false;
  #queue: AsyncQueue<Message> | undefined;
  #single: Message | undefined;
  #count = 0;
  #unary: { resolve: (m: Message) => void; reject: (e: RpcError) => void } | undefined;
  #readerFull: { promise: Promise<void>; resolve: () => void } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #onAbort: (() => void) | undefined;

  constructor(req: UnaryRequest | StreamRequest, codec: Codec, maxReceiveBytes: number, internals: ServerInternals) {
    this.#req = req;
    this.#method = req.method;
    this.codec = codec;
    this.#maxReceiveBytes = maxReceiveBytes;
    this.#internals = internals;
    this.timeoutMs = req.deadline === undefined ? undefined : Math.max(0, req.deadline - Date.now());
  }

  run(first: Uint8Array | undefined, maxSendBytes: number): Promise<UnaryResponse | StreamResponse> {
    const req = this.#req;
    const ms = this.timeoutMs;
    if (ms !== undefined && ms <= maxTimerMs) this.#timer = setTimeout(() => this.#cancel(new RpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded")), ms);
    if (req.signal) {
      const signal = req.signal;
      this.#onAbort = () => this.#cancel(signal.reason instanceof RpcError ? signal.reason : new RpcError(Code.CANCELLED, "the call was cancelled by the client", { cause: signal.reason }));
      signal.addEventListener("abort", this.#onAbort);
    }
    const path = `/${this.#method.parent.typeName}/${this.#method.name}`;
    const entry = this.#internals.router.find(path);
    if (!entry) {
      this.finishWithoutResponse(new RpcError(Code.UNIMPLEMENTED, this.#internals.router.explainMissing(path)), undefined, undefined);
    } else {
      new ServerCall(this, entry, this.#internals.callSettings);
      // Like bytes on a socket, the request reaches the server after the call has started.
      if (first) queueMicrotask(() => this.#deliverLast(first));
      else void this.#pump(req as StreamRequest, maxSendBytes);
    }
    const streams = this.#method.methodKind === "server_streaming" || this.#method.methodKind === "bidi_streaming";
    if (streams) {
      const res: StreamResponse = { stream: true, header: this.#header, trailer: this.#trailer, message: this.#messages() };
      return Promise.resolve(res);
    }
    return new Promise<Message>((resolve, reject) => {
      if (this.#status !== undefined) this.#settleUnary(resolve, reject);
      else this.#unary = { resolve, reject };
    }).then((message): UnaryResponse => ({ stream: false, header: this.#header, trailer: this.#trailer, message }));
  }

  // ServerWire: what the server call sees.

  requestMetadata(): Metadata {
    return wireCopy(this.#req.header);
  }

  start(sink: ServerWireSink): void {
    this.#sink = sink;
  }

  pause(): void {
    if (this.#paused) return;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.#paused = { promise, resolve };
  }

  resume(): void {
    const p = this.#paused;
    this.#paused = undefined;
    p?.resolve();
  }

  sendHeader(header: Metadata | undefined): void {
    if (this.#serverDone) return;
    this.#receiveHeader(header);
  }

  sendMessage(payload: Uint8Array): Promise<void> | undefined {
    if (this.#serverDone) return undefined;
    this.#receiveMessage(payload);
    return this.#readerFull?.promise;
  }

  finish(status: RpcError | null, trailer: Metadata | undefined, last?: Uint8Array): void {
    if (this.#serverDone) return;
    if (last) this.#receiveMessage(last);
    this.#serverDone = true;
    this.#trailer.merge(wireCopy(trailer));
    if (status) this.#trailer.merge(wireCopy(status.metadata));
    this.#finish(this.#statusFor(status));
  }

  finishWithoutResponse(status: RpcError | null, header: Metadata | undefined, trailer: Metadata | undefined): void {
    if (this.#serverDone) return;
    this.#serverDone = true;
    // As on the wire, a status alone arrives as trailers, with the response header metadata in them.
    this.#receiveHeader(undefined);
    this.#trailer.merge(wireCopy(header)).merge(wireCopy(trailer));
    if (status) this.#trailer.merge(wireCopy(status.metadata));
    this.#finish(this.#statusFor(status));
  }

  // The request side.

  #deliverLast(payload: Uint8Array): void {
    if (this.#serverDone || !this.#sink) return;
    if (!this.#fitsServerLimit(payload)) return;
    this.#sink.message(payload, false);
    if (!this.#serverDone) this.#sink.requestEnd();
  }

  #fitsServerLimit(payload: Uint8Array): boolean {
    const limit = this.#internals.callSettings.maxReceiveBytes;
    if (payload.byteLength <= limit) return true;
    this.#sink!.requestFailed(new RpcError(Code.RESOURCE_EXHAUSTED, `message of ${payload.byteLength} bytes is larger than the limit of ${limit} bytes`));
    return false;
  }

  /** Sends a request stream, waiting while the server is paused; a failing source cancels the call. */
  async #pump(req: StreamRequest, maxSendBytes: number): Promise<void> {
    const source = req.message[Symbol.asyncIterator]();
    const ended = new Promise<symbol>((resolve) => (this.#onServerDone = () => resolve(endedMarker)));
    try {
      for (;;) {
        if (this.#paused) await Promise.race([this.#paused.promise, ended]);
        if (this.#serverDone) break;
        const r = await Promise.race([source.next(), ended]);
        if (typeof r === "symbol" || this.#serverDone) break;
        if (r.done) {
          this.#sink?.requestEnd();
          return;
        }
        const bytes = serializeMessage(this.codec, req.method.input, r.value, maxSendBytes);
        if (this.#serverDone) break;
        if (!this.#fitsServerLimit(bytes)) break;
        this.#sink?.message(bytes, false);
      }
    } catch (e) {
      this.#cancel(RpcError.from(e, Code.CANCELLED));
    }
    void Promise.resolve(source.return?.()).catch(() => undefined);
  }

  #onServerDone: (() => void) | undefined;

  // The response side, as the client sees it.

  #receiveHeader(header: Metadata | undefined): void {
    if (this.#headerSeen) return;
    this.#headerSeen = true;
    this.#header.merge(wireCopy(header));
    this.#req.options?.onHeader?.(this.#header);
  }

  #receiveMessage(payload: Uint8Array): void {
    if (this.#status !== undefined) return;
    if (payload.byteLength > this.#maxReceiveBytes) {
      this.#cancel(new RpcError(Code.RESOURCE_EXHAUSTED, `message of ${payload.byteLength} bytes is larger than the limit of ${this.#maxReceiveBytes} bytes`));
      return;
    }
    let msg: Message;
    try {
      msg = parseMessage(this.codec, this.#method.output, payload);
    } catch (e) {
      this.#cancel(e as RpcError);
      return;
    }
    this.#count++;
    if (this.#queue) this.#queue.push(msg);
    else if (this.#count === 1) this.#single = msg;
    else if (this.#unary) this.#cancel(new RpcError(Code.UNIMPLEMENTED, "protocol error: more than one response message for a unary call"));
    else this.#messages().push(msg);
  }

  #messages(): AsyncQueue<Message> {
    return (this.#queue ??= new AsyncQueue<Message>(
      highWaterMark,
      () => {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        this.#readerFull = { promise, resolve };
      },
      () => this.#releaseReader(),
      () => this.#cancel(new RpcError(Code.CANCELLED, "the client stopped reading the response stream")),
    ));
  }

  #releaseReader(): void {
    const full = this.#readerFull;
    this.#readerFull = undefined;
    full?.resolve();
  }

  #statusFor(status: RpcError | null): RpcError | null {
    if (!status) return null;
    const metadata = this.#header.size === 0 ? this.#trailer : new Metadata(this.#header).merge(this.#trailer);
    return new RpcError(status.code, status.rawMessage, { metadata, details: [...status.details] });
  }

  /** The client gives up (abort, deadline, a bad response, stopped reading): the server sees a cancelled stream. */
  #cancel(error: RpcError): void {
    if (this.#status !== undefined) return;
    if (!this.#serverDone) {
      this.#serverDone = true;
      this.#sink?.closed(new RpcError(Code.CANCELLED, "the client cancelled the call"));
    }
    this.#finish(error);
  }

  #finish(status: RpcError | null): void {
    if (this.#status !== undefined) return;
    const deadline = this.#req.deadline;
    // A deadline that has passed wins over whatever else ended the call.
    if (status && status.code === Code.CANCELLED && deadline !== undefined && Date.now() >= deadline) {
      status = new RpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded");
    }
    this.#status = status;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#onAbort) this.#req.signal!.removeEventListener("abort", this.#onAbort);
    this.#onServerDone?.();
    this.resume();
    this.#releaseReader();
    if (status === null || this.#headerSeen || this.#trailer.size > 0) this.#req.options?.onTrailer?.(this.#trailer);
    const u = this.#unary;
    if (u) {
      this.#unary = undefined;
      this.#settleUnary(u.resolve, u.reject);
    }
    this.#queue?.end(status ?? undefined);
  }

  #settleUnary(resolve: (m: Message) => void, reject: (e: RpcError) => void): void {
    const status = this.#status!;
    if (status !== null) reject(status);
    else if (this.#count === 1) resolve(this.#single!);
    else reject(new RpcError(Code.UNIMPLEMENTED, `protocol error: ${this.#count === 0 ? "no" : "more than one"} response message for a unary call`));
  }
}

const endedMarker: unique symbol = Symbol("ended");

/** Metadata as the other side of a network would see it: reserved keys dropped, values copied. */
function wireCopy(md: Metadata | undefined): Metadata {
  if (!md || md.size === 0) return new Metadata();
  const headers: Record<string, string | string[]> = {};
  md.writeTo(headers);
  return metadataFromHeaders(headers);
}
