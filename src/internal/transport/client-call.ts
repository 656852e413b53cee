import { constants, type ClientHttp2Stream, type Http2Session, type IncomingHttpHeaders } from "node:http2";
import type { DescMessage, Message } from "@bufbuild/protobuf";
import { Code } from "../../status/code.js";
import { RpcError } from "../../status/rpc-error.js";
import { rejectWithCallerStack } from "../../status/caller-stack.js";
import { codeFromHttpStatus, codeFromRstCode } from "../../status/http-status.js";
import { Metadata, metadataFromHeaders } from "../../metadata/metadata.js";
import { AsyncQueue } from "../async-queue.js";
import { findCompression, type Compression } from "../compression.js";
import { writeEnvelope } from "../envelope.js";
import { MessageReceiver, type MessageSink } from "../message-receiver.js";
import { statusFromTrailers } from "../status-trailers.js";
import { connectionLost, connectionLostMessage, describeConnectionError } from "./connection-error.js";
import { resetStream } from "./reset-stream.js";
import { DrainWaiter } from "./drain-waiter.js";

/** How many received messages may wait for a slow reader before the stream pauses. */
const highWaterMark = 16;

/** What a client call needs to know about itself, settled before it starts. */
export interface ClientCallSettings {
  readonly output: DescMessage;
  readonly maxReceiveBytes: number;
  readonly sendCompression: Compression | undefined;
  readonly deadline: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly onHeader: ((header: Metadata) => void) | undefined;
  readonly onTrailer: ((trailer: Metadata) => void) | undefined;
}

/**
 * One call on one HTTP/2 stream, client side: a state machine fed by the
 * stream's events. It parses the response (headers, length-prefixed messages,
 * trailers), turns every way a stream can end into exactly one status
 * (trailers, trailers-only, HTTP errors, resets, deadline, cancellation),
 * and hands messages to one reader: `unaryResult()` or `messages()`.
 */
export class ClientCall implements MessageSink {
  // Response metadata is parsed on first use: most unary calls never look.
  #header: Metadata | undefined;
  #rawHeader: IncomingHttpHeaders | undefined;
  #trailer: Metadata | undefined;
  #rawTrailer: IncomingHttpHeaders | undefined;
  readonly #stream: ClientHttp2Stream;
  /** Kept to tell a dropped connection from a reset stream, after the stream forgets it. */
  readonly #session: Http2Session | undefined;
  readonly #settings: ClientCallSettings;
  readonly #receiver: MessageReceiver;
  /** undefined while running; null once ended OK; the error once failed. */
  #status: RpcError | null | undefined = undefined;
  #headerSeen = false;
  #queue: AsyncQueue<Message> | undefined;
  #single: Message | undefined;
  #count = 0;
  #unary: { resolve: (m: Message) => void; reject: (e: RpcError) => void } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #drain: DrainWaiter | undefined;
  #onAbort: (() => void) | undefined;
  #endedPromise: Promise<void> | undefined;
  #resolveEnded: (() => void) | undefined;

  constructor(stream: ClientHttp2Stream, settings: ClientCallSettings) {
    this.#stream = stream;
    this.#session = stream.session;
    this.#settings = settings;
    this.#receiver = new MessageReceiver(settings.output, settings.maxReceiveBytes, this);
    (stream as CallStream)[kCall] = this;
    stream.on("response", onResponse);
    stream.on("data", onData);
    stream.on("trailers", onTrailers);
    stream.on("close", onClose);
    stream.on("error", onError);
    if (settings.deadline !== undefined) {
      const ms = settings.deadline - Date.now();
      this.#timer = setTimeout(() => this.cancel(deadlineError()), Math.max(0, ms));
    }
    if (settings.signal) {
      this.#onAbort = () => this.#aborted();
      settings.signal.addEventListener("abort", this.#onAbort);
    }
  }

  /** Response headers (empty until they arrive, and for a trailers-only response). */
  get header(): Metadata {
    if (!this.#header) {
      this.#header = this.#rawHeader ? metadataFromHeaders(this.#rawHeader) : new Metadata();
      this.#rawHeader = undefined;
    }
    return this.#header;
  }

  /** Response trailers (empty until they arrive). */
  get trailer(): Metadata {
    if (!this.#trailer) {
      this.#trailer = this.#rawTrailer ? metadataFromHeaders(this.#rawTrailer) : new Metadata();
      this.#rawTrailer = undefined;
    }
    return this.#trailer;
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

  /** Sends one serialized message; resolves when the stream can take more. */
  send(bytes: Uint8Array, compress = true): Promise<void> | undefined {
    if (this.#status !== undefined) return undefined;
    const compression = this.#settings.sendCompression;
    if (compression && compress && bytes.byteLength > 0) {
      return compression.compress(bytes).then((out) => this.#write(out, true));
    }
    return this.#write(bytes, false);
  }

  /** Sends the last message and half-closes, in one write: the unary fast path. */
  sendLast(bytes: Uint8Array): void {
    const compression = this.#settings.sendCompression;
    if (compression && bytes.byteLength > 0) {
      compression.compress(bytes).then(
        (out) => writeEnvelope(this.#stream, out, true, true),
        (e) => this.cancel(RpcError.from(e, Code.INTERNAL)),
      );
    } else {
      writeEnvelope(this.#stream, bytes, false, true);
    }
  }

  /** Half-closes: no more messages from this side. */
  closeSend(): void {
    if (!this.#stream.writableEnded) this.#stream.end();
  }

  /** Ends the call with `error` and resets the stream with CANCEL. */
  cancel(error: RpcError): void {
    if (this.#status !== undefined) return;
    if (!this.#stream.closed && !this.#stream.destroyed) resetStream(this.#stream);
    this.#finish(error);
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
      highWaterMark,
      () => this.#stream.pause(),
      () => this.#stream.resume(),
      () => this.cancel(new RpcError(Code.CANCELLED, "the client stopped reading the response stream")),
      rejectWithCallerStack,
    );
    return this.#queue;
  }

  #write(payload: Uint8Array, compressed: boolean): Promise<void> | undefined {
    if (this.#status !== undefined || this.#stream.writableEnded) return undefined;
    if (writeEnvelope(this.#stream, payload, compressed, false)) return undefined;
    return (this.#drain ??= new DrainWaiter()).wait(this.#stream);
  }

  /** @internal stream listener */
  onResponse(headers: IncomingHttpHeaders): void {
    const httpStatus = Number(headers[":status"] ?? 0);
    if (httpStatus !== 200) {
      this.cancel(
        new RpcError(codeFromHttpStatus(httpStatus), `received HTTP status ${httpStatus}${httpStatus === 415 ? " (unsupported content-type)" : ""}`, {
          metadata: metadataFromHeaders(headers),
        }),
      );
      return;
    }
    const contentType = headers["content-type"];
    if (typeof contentType !== "string" || !isGrpcContentType(contentType)) {
      this.cancel(new RpcError(Code.UNKNOWN, `received unexpected content-type "${contentType ?? ""}"`));
      return;
    }
    if (headers["grpc-status"] !== undefined) {
      // Trailers-only: the status comes in the only HEADERS frame.
      this.#headerSeen = true;
      this.#settings.onHeader?.(this.header);
      this.onTrailers(headers);
      return;
    }
    const encoding = headers["grpc-encoding"];
    if (typeof encoding === "string" && encoding !== "identity") {
      this.#receiver.compression = findCompression(encoding);
      if (!this.#receiver.compression) {
        this.cancel(new RpcError(Code.INTERNAL, `server sent messages in unsupported encoding "${encoding}"`));
        return;
      }
    }
    this.#headerSeen = true;
    // Someone may hold the (empty) header object already: fill it in then.
    if (this.#header) this.#header.merge(metadataFromHeaders(headers));
    else this.#rawHeader = headers;
    this.#settings.onHeader?.(this.header);
  }

  /** @internal stream listener */
  onData(chunk: Buffer): void {
    if (this.#status === undefined) this.#receiver.push(chunk);
  }

  /** @internal MessageSink */
  message(msg: Message): void {
    if (this.#status !== undefined) return;
    this.#count++;
    if (this.#queue) this.#queue.push(msg);
    else if (this.#count === 1) this.#single = msg;
    else if (this.#unary) this.cancel(new RpcError(Code.UNIMPLEMENTED, "protocol error: more than one response message for a unary call"));
    else this.messages().push(msg);
  }

  /** @internal MessageSink */
  fail(error: RpcError): void {
    this.cancel(error);
  }

  /** @internal stream listener */
  onTrailers(trailers: IncomingHttpHeaders): void {
    if (this.#status !== undefined) return;
    const { code, message, details } = statusFromTrailers(trailers);
    if (this.#trailer) this.#trailer.merge(metadataFromHeaders(trailers));
    else this.#rawTrailer = trailers;
    let status =
      code === Code.OK
        ? null
        : new RpcError(code, message, { metadata: mergeMetadata(this.header, this.trailer), details });
    if (status === null && this.#receiver.partial) status = truncatedError();
    this.#receiver.whenIdle(() => this.#finish(status));
  }

  /** @internal stream listener */
  onClose(): void {
    if (this.#status !== undefined) return;
    this.#receiver.whenIdle(() => this.#closed());
  }

  #closed(): void {
    if (this.#status !== undefined) return;
    const rst = this.#stream.rstCode ?? constants.NGHTTP2_NO_ERROR;
    if (rst === constants.NGHTTP2_CANCEL && connectionLost(this.#session)) {
      this.#finish(new RpcError(Code.UNAVAILABLE, connectionLostMessage(this.#session, this.#headerSeen)));
    } else if (rst !== constants.NGHTTP2_NO_ERROR) {
      this.#finish(new RpcError(codeFromRstCode(rst), `stream reset by the server with HTTP/2 error code ${rst}`));
    } else if (this.#receiver.partial) {
      this.#finish(truncatedError());
    } else {
      this.#finish(new RpcError(Code.UNAVAILABLE, this.#headerSeen ? "the server ended the stream without trailers" : "the connection closed before the server answered"));
    }
  }

  /** @internal stream listener */
  onError(e: Error & { code?: string }): void {
    if (this.#status !== undefined) return;
    if (e.code === "ERR_HTTP2_STREAM_ERROR") {
      const rst = this.#stream.rstCode ?? constants.NGHTTP2_INTERNAL_ERROR;
      this.#finish(new RpcError(codeFromRstCode(rst), `stream reset with HTTP/2 error code ${rst}`, { cause: e }));
    } else {
      this.#finish(new RpcError(Code.UNAVAILABLE, describeConnectionError(e), { cause: e }));
    }
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
    this.#status = status;
    this.#resolveEnded?.();
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#onAbort) this.#settings.signal!.removeEventListener("abort", this.#onAbort);
    this.#drain?.release();
    // The server has spoken: stop sending whatever is left of the request stream.
    if (!this.#stream.writableEnded && !this.#stream.destroyed) this.#stream.close(constants.NGHTTP2_CANCEL);
    if (status === null || this.#headerSeen || this.trailer.size > 0) this.#settings.onTrailer?.(this.trailer);
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
    else if (this.#count === 0) reject(new RpcError(Code.UNIMPLEMENTED, "protocol error: no response message for a unary call"));
    else reject(new RpcError(Code.UNIMPLEMENTED, "protocol error: more than one response message for a unary call"));
  }
}

function isGrpcContentType(ct: string): boolean {
  return ct.startsWith("application/grpc") && (ct.length === 16 || ct[16] === "+" || ct[16] === ";");
}

function truncatedError(): RpcError {
  return new RpcError(Code.INTERNAL, "protocol error: the stream ended in the middle of a message");
}

function deadlineError(): RpcError {
  return new RpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded");
}

function mergeMetadata(a: Metadata, b: Metadata): Metadata {
  if (a.size === 0) return b;
  return new Metadata(a).merge(b);
}

const kCall = Symbol("tsgrpc.clientCall");
type CallStream = ClientHttp2Stream & { [kCall]: ClientCall };

// Listeners shared by every stream (Node calls them with the stream as
// `this`), instead of closures made per call.
function onResponse(this: CallStream, headers: IncomingHttpHeaders): void {
  this[kCall].onResponse(headers);
}
function onData(this: CallStream, chunk: Buffer): void {
  this[kCall].onData(chunk);
}
function onTrailers(this: CallStream, trailers: IncomingHttpHeaders): void {
  this[kCall].onTrailers(trailers);
}
function onClose(this: CallStream): void {
  this[kCall].onClose();
}
function onError(this: CallStream, e: Error & { code?: string }): void {
  this[kCall].onError(e);
}
