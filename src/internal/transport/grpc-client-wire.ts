import { constants, type ClientHttp2Stream, type Http2Session, type IncomingHttpHeaders } from "node:http2";
import { Metadata, metadataFromHeaders } from "../../metadata/metadata.js";
import { Code } from "../../status/code.js";
import { codeFromHttpStatus, codeFromRstCode } from "../../status/http-status.js";
import { RpcError } from "../../status/rpc-error.js";
import { EnvelopeReader, flagCompressed, writeEnvelope, type EnvelopeSink } from "../envelope.js";
import { statusFromTrailers } from "../status-trailers.js";
import { grpcSubtype } from "../grpc-content-type.js";
import type { ClientWire, ClientWireSink } from "./client-wire.js";
import { connectionLost, connectionLostMessage, describeConnectionError } from "./connection-error.js";
import { MessageWriter } from "./message-writer.js";
import { resetStream } from "./reset-stream.js";


/**
 * gRPC over HTTP/2 (gRPC's `doc/PROTOCOL-HTTP2.md`) on one client stream:
 * turns every way a stream can end into exactly one status for the call
 * (trailers, trailers-only, HTTP errors, resets, lost connections), and
 * frames and unframes messages.
 */
export class GrpcClientWire implements ClientWire, EnvelopeSink {
  readonly #stream: ClientHttp2Stream;
  /** Kept to tell a dropped connection from a reset stream, after the stream forgets it. */
  readonly #session: Http2Session | undefined;
  readonly #maxReceiveBytes: number;
  #sink: ClientWireSink | undefined;
  #reader: EnvelopeReader | undefined;
  // Response metadata is parsed on first use: most unary calls never look.
  #header: Metadata | undefined;
  #rawHeader: IncomingHttpHeaders | undefined;
  #trailer: Metadata | undefined;
  #rawTrailer: IncomingHttpHeaders | undefined;
  #headerSeen = false;
  /** Set once the call has a status: stream events after that are ignored. */
  #done = false;
  #writer: MessageWriter | undefined;
  #unprocessed = false;
  #pushback: string | undefined;

  constructor(stream: ClientHttp2Stream, maxReceiveBytes: number) {
    this.#stream = stream;
    this.#session = stream.session;
    this.#maxReceiveBytes = maxReceiveBytes;
  }

  start(sink: ClientWireSink): void {
    this.#sink = sink;
    if (this.#session) watchSession(this.#session as WatchedSession);
    const stream = this.#stream as WireStream;
    stream[kWire] = this;
    stream.on("response", onResponse);
    stream.on("data", onData);
    stream.on("trailers", onTrailers);
    stream.on("close", onClose);
    stream.on("error", onError);
  }

  header(): Metadata {
    if (!this.#header) {
      this.#header = this.#rawHeader ? metadataFromHeaders(this.#rawHeader) : new Metadata();
      this.#rawHeader = undefined;
    }
    return this.#header;
  }

  trailer(): Metadata {
    if (!this.#trailer) {
      this.#trailer = this.#rawTrailer ? metadataFromHeaders(this.#rawTrailer) : new Metadata();
      this.#rawTrailer = undefined;
    }
    return this.#trailer;
  }

  send(payload: Uint8Array, compressed: boolean): Promise<void> | undefined {
    if (this.#done || this.#stream.writableEnded) return undefined;
    return (this.#writer ??= new MessageWriter(this.#stream)).send(payload, compressed ? flagCompressed : 0);
  }

  sendLast(payload: Uint8Array, compressed: boolean): void {
    if (this.#done || this.#stream.writableEnded) return;
    if (this.#writer) this.#writer.end(payload, compressed ? flagCompressed : 0);
    else writeEnvelope(this.#stream, payload, compressed ? flagCompressed : 0, true);
  }

  closeSend(): void {
    if (this.#writer) this.#writer.end();
    else if (!this.#stream.writableEnded) this.#stream.end();
  }

  get sendClosed(): boolean {
    return this.#done || this.#stream.writableEnded;
  }

  cancel(): void {
    if (!this.#stream.closed && !this.#stream.destroyed) resetStream(this.#stream);
  }

  finished(): void {
    this.#done = true;
    this.#writer?.close();
    // The server has spoken: stop sending whatever is left of the request stream.
    if (!this.#stream.writableEnded && !this.#stream.destroyed) this.#stream.close(constants.NGHTTP2_CANCEL);
  }

  /**
   * How Node's http2 client reports a stream the server never processed
   * (checked against raw servers on Node 20, 22, 24 and 26): a
   * REFUSED_STREAM reset, which is also how nghttp2 closes the streams
   * above the last-stream-id of a GOAWAY with NO_ERROR; a stream above the
   * last-stream-id of a GOAWAY with an error code (Node destroys the
   * session: those close with the session's error and the GOAWAY's code as
   * rstCode, after the session's 'goaway' event recorded the id); a stream
   * whose HEADERS were never submitted (no id: the session never
   * connected); and a stream whose connection was lost before the server's
   * SETTINGS came (a server sends them before it reads any request).
   * (A node:http2 server cannot send a last-stream-id of 0: its
   * `session.goaway(code, 0)` sends the last stream it received.)
   */
  get unprocessed(): boolean {
    return this.#unprocessed;
  }

  retryPushback(): string | undefined {
    return this.#pushback;
  }

  #classify(rst: number): void {
    const stream = this.#stream;
    const id = stream.id;
    const watched = this.#watch();
    if (rst === constants.NGHTTP2_REFUSED_STREAM || id === undefined || stream.pending) this.#unprocessed = true;
    else if (watched && id > watched.goawayLastStreamId) this.#unprocessed = true;
    else if (watched && watched.settingsSeen === false && connectionLost(this.#session)) this.#unprocessed = true;
  }

  #watch(): SessionWatch | undefined {
    return (this.#session as WatchedSession | undefined)?.[kWatched];
  }

  /** Why the server did not process the stream, if it said so: a GOAWAY below the stream's id, or REFUSED_STREAM. */
  #refusal(): string | undefined {
    const watched = this.#watch();
    const id = this.#stream.id;
    if (watched?.goaway && id !== undefined && id > watched.goawayLastStreamId) {
      return `the server sent ${watched.goaway} before it processed the stream`;
    }
    if (this.#stream.rstCode === constants.NGHTTP2_REFUSED_STREAM) return "the server refused the stream (REFUSED_STREAM) before processing it";
    return undefined;
  }

  pause(): void {
    this.#stream.pause();
  }

  resume(): void {
    this.#stream.resume();
  }

  /** @internal stream listener */
  onResponse(headers: IncomingHttpHeaders): void {
    if (this.#done) return;
    const sink = this.#sink!;
    const httpStatus = Number(headers[":status"] ?? 0);
    if (httpStatus !== 200 && headers["grpc-status"] !== undefined) {
      // A proxy's own answer (nginx: 204 with grpc-status 14 for a dead backend): the gRPC status says more than the HTTP one.
      this.#headerSeen = true;
      sink.headerReceived(undefined, true);
      this.onTrailers(headers);
      return;
    }
    if (httpStatus !== 200) {
      this.cancel();
      sink.failed(
        new RpcError(codeFromHttpStatus(httpStatus), `received HTTP status ${httpStatus}${httpStatus === 415 ? " (unsupported content-type)" : ""}`, {
          metadata: metadataFromHeaders(headers),
        }),
      );
      return;
    }
    const contentType = headers["content-type"];
    if (typeof contentType !== "string" || grpcSubtype(contentType) === undefined) {
      this.cancel();
      sink.failed(new RpcError(Code.UNKNOWN, `received unexpected content-type "${contentType ?? ""}"`));
      return;
    }
    this.#headerSeen = true;
    if (headers["grpc-status"] !== undefined) {
      // Trailers-only: the status comes in the only HEADERS frame.
      sink.headerReceived(undefined, true);
      this.onTrailers(headers);
      return;
    }
    // Someone may hold the (empty) header object already: fill it in then.
    if (this.#header) this.#header.merge(metadataFromHeaders(headers));
    else this.#rawHeader = headers;
    const encoding = headers["grpc-encoding"];
    sink.headerReceived(typeof encoding === "string" && encoding !== "identity" ? encoding : undefined);
  }

  /** @internal stream listener */
  onData(chunk: Buffer): void {
    if (this.#done) return;
    try {
      (this.#reader ??= new EnvelopeReader(this.#maxReceiveBytes)).read(chunk, this);
    } catch (e) {
      if (this.#done) return;
      this.cancel();
      this.#sink!.failed(RpcError.from(e, Code.INTERNAL));
    }
  }

  /** @internal Part of EnvelopeSink: a response message, read. */
  envelope(flags: number, data: Uint8Array): void {
    if (!this.#done) this.#sink!.message(data, flags === flagCompressed);
  }

  /** @internal stream listener */
  onTrailers(trailers: IncomingHttpHeaders): void {
    if (this.#done) return;
    const { code, message, details } = statusFromTrailers(trailers);
    const pushback = trailers["grpc-retry-pushback-ms"];
    if (pushback !== undefined) this.#pushback = Array.isArray(pushback) ? pushback.join(",") : pushback;
    if (this.#trailer) this.#trailer.merge(metadataFromHeaders(trailers));
    else this.#rawTrailer = trailers;
    if (code === Code.OK && this.#reader?.partial) this.#sink!.failed(truncatedError());
    else this.#sink!.status(code, message, details);
  }

  /** @internal stream listener */
  onClose(): void {
    if (this.#done) return;
    const rst = this.#stream.rstCode ?? constants.NGHTTP2_NO_ERROR;
    this.#classify(rst);
    const refusal = this.#unprocessed ? this.#refusal() : undefined;
    let error: RpcError;
    if (rst === constants.NGHTTP2_CANCEL && connectionLost(this.#session)) {
      error = new RpcError(Code.UNAVAILABLE, connectionLostMessage(this.#session, this.#headerSeen));
    } else if (refusal) {
      error = new RpcError(Code.UNAVAILABLE, refusal);
    } else if (rst !== constants.NGHTTP2_NO_ERROR) {
      error = new RpcError(codeFromRstCode(rst), `stream reset by the server with HTTP/2 error code ${rst}`);
    } else if (this.#reader?.partial) {
      error = truncatedError();
    } else {
      error = new RpcError(Code.UNAVAILABLE, this.#headerSeen ? "the server ended the stream without trailers" : "the connection closed before the server answered");
    }
    this.#sink!.failed(error);
  }

  /** @internal stream listener */
  onError(e: Error & { code?: string }): void {
    if (this.#done) return;
    this.#classify(this.#stream.rstCode ?? constants.NGHTTP2_NO_ERROR);
    const refusal = this.#unprocessed ? this.#refusal() : undefined;
    if (refusal) {
      this.#sink!.failed(new RpcError(Code.UNAVAILABLE, refusal, { cause: e }));
    } else if (e.code === "ERR_HTTP2_STREAM_ERROR") {
      const rst = this.#stream.rstCode ?? constants.NGHTTP2_INTERNAL_ERROR;
      this.#sink!.failed(new RpcError(codeFromRstCode(rst), `stream reset with HTTP/2 error code ${rst}`, { cause: e }));
    } else {
      // Whether the response had begun matters to the caller: only a call with no response yet is safe to retry.
      const goaway = e.code === "ERR_HTTP2_SESSION_ERROR" ? this.#watch()?.goaway : undefined;
      const why = goaway ? `the server closed the connection with ${goaway}` : describeConnectionError(e);
      this.#sink!.failed(new RpcError(Code.UNAVAILABLE, this.#headerSeen ? `the connection failed after the response began: ${why}` : why, { cause: e }));
    }
  }
}

function truncatedError(): RpcError {
  return new RpcError(Code.INTERNAL, "protocol error: the stream ended in the middle of a message");
}

const kWire = Symbol("tsgrpc.clientWire");
const kWatched = Symbol("tsgrpc.sessionWatch");
/** What a session's wires need to know of it to classify their failures. */
interface SessionWatch {
  /** The lowest last-stream-id of the GOAWAYs received. */
  goawayLastStreamId: number;
  /** The last GOAWAY received, in words: `GOAWAY (ENHANCE_YOUR_CALM "too_many_pings")`. */
  goaway: string | undefined;
  /** Whether the server's SETTINGS arrived; undefined when unknown (watched only after the session connected). */
  settingsSeen: boolean | undefined;
}
type WatchedSession = Http2Session & { [kWatched]?: SessionWatch };

/** Watches a session for its GOAWAYs and first SETTINGS: once per session, not per stream. */
function watchSession(session: WatchedSession): void {
  if (session[kWatched] !== undefined) return;
  const connecting = (session as Http2Session & { connecting?: boolean }).connecting === true;
  session[kWatched] = { goawayLastStreamId: Infinity, goaway: undefined, settingsSeen: connecting ? false : undefined };
  session.on("goaway", onGoaway);
  if (connecting) session.once("remoteSettings", onRemoteSettings);
}
function onGoaway(this: WatchedSession, code: number, lastStreamId: number, data?: Buffer): void {
  const w = this[kWatched]!;
  w.goawayLastStreamId = Math.min(w.goawayLastStreamId, lastStreamId);
  w.goaway = describeGoaway(code, data);
}
/** RFC 9113 §7 error codes, by number. */
const http2ErrorNames = [
  "NO_ERROR",
  "PROTOCOL_ERROR",
  "INTERNAL_ERROR",
  "FLOW_CONTROL_ERROR",
  "SETTINGS_TIMEOUT",
  "STREAM_CLOSED",
  "FRAME_SIZE_ERROR",
  "REFUSED_STREAM",
  "CANCEL",
  "COMPRESSION_ERROR",
  "CONNECT_ERROR",
  "ENHANCE_YOUR_CALM",
  "INADEQUATE_SECURITY",
  "HTTP_1_1_REQUIRED",
];
/** `GOAWAY (NO_ERROR "max_age")`: the code by name, and the debug data when it is short printable text. */
function describeGoaway(code: number, data: Buffer | undefined): string {
  const name = http2ErrorNames[code] ?? `error code ${code}`;
  const text = data && data.byteLength > 0 && data.byteLength <= 128 ? data.toString("latin1") : "";
  return /^[\x20-\x7e]+$/.test(text) ? `GOAWAY (${name} ${JSON.stringify(text)})` : `GOAWAY (${name})`;
}
function onRemoteSettings(this: WatchedSession): void {
  this[kWatched]!.settingsSeen = true;
}
type WireStream = ClientHttp2Stream & { [kWire]: GrpcClientWire | undefined };

// Listeners shared by every stream (Node calls them with the stream as
// `this`), instead of closures made per call. A closed stream lets go of its
// wire, so that Node's objects that outlive it do not keep the call's in
// memory (see stream-close.ts); an event after 'close' finds no wire.
function onResponse(this: WireStream, headers: IncomingHttpHeaders): void {
  this[kWire]?.onResponse(headers);
}
function onData(this: WireStream, chunk: Buffer): void {
  this[kWire]?.onData(chunk);
}
function onTrailers(this: WireStream, trailers: IncomingHttpHeaders): void {
  this[kWire]?.onTrailers(trailers);
}
function onClose(this: WireStream): void {
  const wire = this[kWire];
  this[kWire] = undefined;
  wire?.onClose();
}
function onError(this: WireStream, e: Error & { code?: string }): void {
  this[kWire]?.onError(e);
}
