import { constants, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import type { Codec } from "../../codec/codec.js";
import { peerTlsOf, type PeerTlsInfo } from "../../credentials/peer-tls.js";
import { metadataFromHeaders, type Metadata } from "../../metadata/metadata.js";
import { Code } from "../../status/code.js";
import { RpcError } from "../../status/rpc-error.js";
import { EnvelopeReader, flagCompressed, writeEnvelope, type EnvelopeSink } from "../envelope.js";
import { writeStatusTrailers } from "../status-trailers.js";
import { MessageWriter } from "./message-writer.js";
import { pingPolicyOf, type PingPolicy } from "./keepalive-enforcement.js";
import type { ServerWire, ServerWireSink } from "./server-wire.js";
import { onStreamClose, type StreamCloseHook } from "./stream-close.js";


type Headers = Record<string, string | string[]>;

/**
 * Response options: trailers follow the data; no `date` header (gRPC
 * servers in C and Go send none, and Node would add one to every response).
 */
const respondOptions = Object.freeze({ waitForTrailers: true, sendDate: false });
const trailersOnlyOptions = Object.freeze({ endStream: true, sendDate: false });

/** The trailers of nearly every call: OK, no metadata. Node copies what it is given, so one frozen object serves all. */
const okTrailers: Headers = Object.freeze({ "grpc-status": "0" });

/** Response headers without metadata or encoding, by server and content type: made once, not per call. */
const plainResponseHeaders = new WeakMap<GrpcWireSettings, Map<string, Headers>>();

/** At most this many content types per server get their own cached headers (clients choose the string). */
const maxCachedContentTypes = 8;

function responseHeaders(settings: GrpcWireSettings, contentType: string): Headers {
  let byType = plainResponseHeaders.get(settings);
  if (!byType) plainResponseHeaders.set(settings, (byType = new Map()));
  let h = byType.get(contentType);
  if (h) return h;
  h = Object.freeze({ ":status": "200", "content-type": contentType, "grpc-accept-encoding": settings.acceptEncodingHeader });
  if (byType.size < maxCachedContentTypes) byType.set(contentType, h);
  return h;
}

/** What every gRPC wire of a server shares. */
export interface GrpcWireSettings {
  /** Largest request message, in bytes (before decompression: framing stops bigger ones early). */
  readonly maxReceiveBytes: number;
  /** The server's `grpc-accept-encoding`: `identity,gzip,deflate`. */
  readonly acceptEncodingHeader: string;
}

/**
 * gRPC over HTTP/2 (gRPC's `doc/PROTOCOL-HTTP2.md`) on one server stream:
 * length-prefixed messages in DATA frames, metadata in HEADERS, the status
 * in trailers (or alone, trailers-only, when nothing else was sent).
 */
export class GrpcServerWire implements ServerWire, EnvelopeSink, StreamCloseHook {
  readonly codec: Codec;
  readonly timeoutMs: number | undefined;
  readonly requestEncoding: string | undefined;
  readonly acceptEncoding: string;
  readonly #stream: ServerHttp2Stream;
  /** The connection's keepalive policy, told when DATA goes out (looked up once, not per message). */
  readonly #pingPolicy: PingPolicy | undefined;
  readonly #headers: IncomingHttpHeaders;
  readonly #contentType: string;
  readonly #settings: GrpcWireSettings;
  #sink: ServerWireSink | undefined;
  #reader: EnvelopeReader | undefined;
  /** Set once the response is complete (or the stream gone): nothing more is read or written. */
  #finished = false;
  /** The trailers, for the stream's 'wantTrailers'. */
  #trailers: Headers | undefined;
  #writer: MessageWriter | undefined;

  constructor(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, contentType: string, codec: Codec, timeoutMs: number | undefined, settings: GrpcWireSettings) {
    this.#stream = stream;
    this.#pingPolicy = pingPolicyOf(stream);
    this.#headers = headers;
    this.#contentType = contentType;
    this.#settings = settings;
    this.codec = codec;
    this.timeoutMs = timeoutMs;
    const encoding = headers["grpc-encoding"];
    this.requestEncoding = typeof encoding === "string" && encoding !== "identity" ? encoding : undefined;
    const accept = headers["grpc-accept-encoding"];
    this.acceptEncoding = typeof accept === "string" ? accept : "";
  }

  get peer(): string {
    return peerOf(this.#stream);
  }

  get tls(): PeerTlsInfo | undefined {
    return peerTlsOf(this.#stream.session);
  }

  requestMetadata(): Metadata {
    return metadataFromHeaders(this.#headers);
  }

  start(sink: ServerWireSink, streaming: boolean): void {
    this.#sink = sink;
    const stream = this.#stream as WireStream;
    stream[kWire] = this;
    stream.on("wantTrailers", onWantTrailers);
    onStreamClose(stream, this);
    // 'error' already has a listener: the server adds one to every stream it sees.
    stream.on("data", onData);
    stream.on("end", streaming ? onStreamingRequestEnd : onRequestEnd);
  }

  pause(): void {
    this.#stream.pause();
  }

  resume(): void {
    this.#stream.resume();
  }

  sendHeader(header: Metadata | undefined, encoding: string | undefined): void {
    let h = responseHeaders(this.#settings, this.#contentType);
    if (encoding || (header && header.size > 0)) {
      h = { ...h };
      if (encoding) h["grpc-encoding"] = encoding;
      header?.writeTo(h);
    }
    try {
      this.#stream.respond(h, respondOptions);
    } catch {
      // The stream closed under us; its 'close' ends the call.
    }
  }

  sendMessage(payload: Uint8Array, compressed: boolean): Promise<void> | undefined {
    if (this.#finished) return undefined;
    const stream = this.#stream;
    // DATA going out: PINGs that follow it are fine (BDP probes), whatever the keepalive policy.
    this.#pingPolicy?.responseSent();
    return (this.#writer ??= new MessageWriter(stream)).send(payload, compressed ? flagCompressed : 0);
  }

  finish(status: RpcError | null, trailer: Metadata | undefined, last?: Uint8Array, lastCompressed?: boolean): void {
    if (this.#finished) return;
    this.#finish();
    let t = okTrailers;
    if (status || (trailer && trailer.size > 0)) {
      t = {};
      writeStatusTrailers(t, status, trailer);
    }
    this.#trailers = t;
    const stream = this.#stream;
    if (stream.closed || stream.destroyed) return;
    try {
      if (this.#writer) this.#writer.end(last, lastCompressed ? flagCompressed : 0);
      else if (last) writeEnvelope(stream, last, lastCompressed ? flagCompressed : 0, true);
      else stream.end();
    } catch {
      // The stream closed under us; nothing left to tell the client.
    }
  }

  finishWithoutResponse(status: RpcError | null, header: Metadata | undefined, trailer: Metadata | undefined): void {
    if (this.#finished) return;
    this.#finish();
    respondTrailersOnly(this.#stream, this.#contentType, this.#settings.acceptEncodingHeader, status, header, trailer);
  }

  #finish(): void {
    this.#finished = true;
  }

  /** @internal A DATA chunk of the request. */
  onData(chunk: Buffer): void {
    if (this.#finished) return;
    try {
      (this.#reader ??= new EnvelopeReader(this.#settings.maxReceiveBytes)).read(chunk, this);
    } catch (e) {
      if (!this.#finished) this.#sink!.requestFailed(RpcError.from(e, Code.INTERNAL));
    }
  }

  /** @internal Part of EnvelopeSink: a request message, read. */
  envelope(flags: number, data: Uint8Array): void {
    if (!this.#finished) this.#sink!.message(data, flags === flagCompressed);
  }

  /** @internal The client half-closed. */
  onRequestEnd(): void {
    if (this.#finished) return;
    if (this.#reader?.partial) this.#sink!.requestFailed(truncatedError());
    else this.#sink!.requestEnd();
  }

  /** @internal The client half-closed a request stream, or reset it. */
  onStreamingRequestEnd(): void {
    // A RST_STREAM also ends the readable side, and Node emits that 'end' before it marks the
    // stream aborted: look once the frame has been handled, or a cancelled upload would reach
    // the handler as a complete request stream.
    setImmediate(() => {
      const stream = this.#stream;
      if (!stream.aborted && !stream.rstCode) this.onRequestEnd();
    });
  }

  /** @internal The stream asks for trailers: all data is out. */
  onWantTrailers(): void {
    try {
      this.#stream.sendTrailers(this.#trailers ?? internalTrailers);
    } catch {
      // Closed meanwhile: nothing left to tell the client.
    }
  }

  /** @internal Part of StreamCloseHook: if the response was not complete, the client went away. */
  streamClosed(): void {
    // The closed stream lets go of the call (see stream-close.ts).
    (this.#stream as WireStream)[kWire] = undefined;
    this.#writer?.close();
    if (this.#finished) return;
    this.#finish();
    const rst = this.#stream.rstCode;
    this.#sink!.closed(
      new RpcError(Code.CANCELLED, rst === constants.NGHTTP2_CANCEL ? "the client cancelled the call" : "the stream closed before the call completed"),
    );
  }
}

/**
 * Answers a gRPC request with a status alone (trailers-only): for calls
 * refused before they start (unknown method, bad headers, a refused
 * client certificate) and calls that end before sending anything.
 */
export function respondTrailersOnly(
  stream: ServerHttp2Stream,
  contentType: string,
  acceptEncodingHeader: string | undefined,
  status: RpcError | null,
  header?: Metadata,
  trailer?: Metadata,
): void {
  if (stream.closed || stream.destroyed || stream.headersSent) return;
  const h: Headers = { ":status": "200", "content-type": contentType };
  if (acceptEncodingHeader) h["grpc-accept-encoding"] = acceptEncodingHeader;
  header?.writeTo(h);
  writeStatusTrailers(h, status, trailer);
  try {
    stream.respond(h, trailersOnlyOptions);
  } catch {
    // The stream closed under us; nothing left to tell the client.
  }
}

function peerOf(stream: ServerHttp2Stream): string {
  const socket = stream.session?.socket;
  if (!socket) return "";
  const addr = socket.remoteAddress ?? "";
  return `${addr.includes(":") ? `[${addr}]` : addr}:${socket.remotePort ?? 0}`;
}

/** Trailers asked for before the call ended: cannot happen, but the client must not be left without a status. */
const internalTrailers: Headers = Object.freeze({ "grpc-status": String(Code.INTERNAL) });

function truncatedError(): RpcError {
  return new RpcError(Code.INTERNAL, "protocol error: the request stream ended in the middle of a message");
}

const kWire = Symbol("tsgrpc.serverWire");
type WireStream = ServerHttp2Stream & { [kWire]: GrpcServerWire | undefined };

// Listeners shared by every stream (Node calls them with the stream as
// `this`), instead of closures made per call. After 'close' the stream has
// no wire.
function onWantTrailers(this: WireStream): void {
  this[kWire]?.onWantTrailers();
}
function onData(this: WireStream, chunk: Buffer): void {
  this[kWire]?.onData(chunk);
}
function onRequestEnd(this: WireStream): void {
  this[kWire]?.onRequestEnd();
}
function onStreamingRequestEnd(this: WireStream): void {
  this[kWire]?.onStreamingRequestEnd();
}
