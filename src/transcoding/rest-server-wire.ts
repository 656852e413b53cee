import type { Registry } from "@bufbuild/protobuf";
import type { Codec } from "../codec/codec.js";
import type { PeerTlsInfo } from "../credentials/peer-tls.js";
import type { Metadata } from "../metadata/metadata.js";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";
import { DrainWaiter } from "../internal/transport/drain-waiter.js";
import type { ServerWire, ServerWireSink } from "../internal/transport/server-wire.js";
import { httpStatusFromCode } from "../status/http-status.js";
import { errorJson } from "./rest-codec.js";
import type { HttpExchange } from "../internal/transport/http-exchange.js";
import type { ResponseHeaders } from "./rest-metadata.js";
import { restRequestMetadata } from "./rest-metadata.js";
import { writePrefixedMetadata } from "../internal/prefixed-metadata.js";

/** What every REST wire of a server shares. */
export interface RestWireSettings {
  /** Largest request body, in bytes (before decompression). */
  readonly maxReceiveBytes: number;
  /** Message types for `Any` fields and error details in JSON. */
  readonly registry: Registry;
}

const jsonType = "application/json";
/** Server-streaming responses: one JSON object a line, `{"result": …}` then `{"error": …}` if the call fails. */
const streamType = "application/x-ndjson";

/**
 * HTTP/JSON transcoding (`google.api.http`) on one exchange, HTTP/1.1 or
 * HTTP/2: the request body is read whole and handed to the call as one
 * message, which the call's codec (see `createRestCodec`) turns into the
 * request together with the path and query; a request stream is
 * newline-delimited JSON, one message a line. A unary response goes out at
 * once, status and headers included, when the call ends; a server stream
 * goes out as newline-delimited JSON, each message as `{"result": …}`, and
 * a failure after the first message as a last `{"error": …}` line, as
 * grpc-gateway writes them.
 */
export class RestServerWire implements ServerWire {
  readonly codec: Codec;
  readonly timeoutMs: number | undefined;
  readonly requestEncoding: string | undefined;
  /** Responses are never compressed message by message: HTTP's own Content-Encoding would be the way. */
  readonly acceptEncoding = "";
  readonly #exchange: HttpExchange;
  readonly #settings: RestWireSettings;
  readonly #streaming: boolean;
  #sink: ServerWireSink | undefined;
  #header: Metadata | undefined;
  #finished = false;
  #drain: DrainWaiter | undefined;

  constructor(exchange: HttpExchange, codec: Codec, timeoutMs: number | undefined, streamingResponse: boolean, settings: RestWireSettings) {
    this.#exchange = exchange;
    this.codec = codec;
    this.timeoutMs = timeoutMs;
    this.#streaming = streamingResponse;
    this.#settings = settings;
    const encoding = exchange.headers["content-encoding"];
    this.requestEncoding = typeof encoding === "string" && encoding !== "identity" && encoding !== "" ? encoding.toLowerCase() : undefined;
  }

  get peer(): string {
    return this.#exchange.peer;
  }

  get tls(): PeerTlsInfo | undefined {
    return this.#exchange.tls;
  }

  requestMetadata(): Metadata {
    return restRequestMetadata(this.#exchange.headers);
  }

  start(sink: ServerWireSink, streaming: boolean): void {
    this.#sink = sink;
    if (streaming) {
      this.#startStream(sink);
      return;
    }
    const exchange = this.#exchange;
    const body = exchange.body;
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    body.on("data", (chunk: Buffer) => {
      if (failed || this.#finished) return;
      size += chunk.byteLength;
      if (size > this.#settings.maxReceiveBytes) {
        failed = true;
        chunks.length = 0;
        sink.requestFailed(new RpcError(Code.RESOURCE_EXHAUSTED, `request body larger than the server's limit of ${this.#settings.maxReceiveBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    body.on("end", () => {
      if (failed || this.#finished) return;
      const payload = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      sink.message(payload, this.requestEncoding !== undefined && payload.byteLength > 0);
      if (!this.#finished) sink.requestEnd();
    });
    this.#watchClose(sink);
  }

  /**
   * A request stream (client-streaming and bidi methods), as grpc-gateway
   * takes it: newline-delimited JSON, one message a line, each line at most
   * `maxReceiveBytes`. Blank lines are skipped.
   */
  #startStream(sink: ServerWireSink): void {
    const body = this.#exchange.body;
    if (this.requestEncoding !== undefined) {
      body.resume();
      sink.requestFailed(new RpcError(Code.UNIMPLEMENTED, "a compressed request stream is not supported: send it with Content-Encoding identity"));
      return;
    }
    const max = this.#settings.maxReceiveBytes;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let failed = false;
    const emit = (line: Buffer) => {
      let end = line.byteLength;
      if (end > 0 && line[end - 1] === 0x0d) end--;
      const text = end === line.byteLength ? line : line.subarray(0, end);
      if (text.some((b) => b !== 0x20 && b !== 0x09)) sink.message(text, false);
    };
    const tooBig = () => {
      failed = true;
      pending = [];
      sink.requestFailed(new RpcError(Code.RESOURCE_EXHAUSTED, `request message larger than the server's limit of ${max} bytes`));
    };
    body.on("data", (chunk: Buffer) => {
      if (failed || this.#finished) return;
      let from = 0;
      for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
        const piece = chunk.subarray(from, nl);
        const line = pendingBytes > 0 ? Buffer.concat([...pending, piece]) : piece;
        pending = [];
        pendingBytes = 0;
        from = nl + 1;
        if (line.byteLength > max) return tooBig();
        emit(line);
        if (this.#finished) return;
      }
      const rest = chunk.subarray(from);
      if (rest.byteLength === 0) return;
      pendingBytes += rest.byteLength;
      if (pendingBytes > max) return tooBig();
      pending.push(rest);
    });
    body.on("end", () => {
      if (failed || this.#finished) return;
      if (pendingBytes > 0) emit(Buffer.concat(pending));
      if (!this.#finished) sink.requestEnd();
    });
    this.#watchClose(sink);
  }

  #watchClose(sink: ServerWireSink): void {
    this.#exchange.onClose((complete) => {
      if (this.#finished) return;
      this.#finished = true;
      this.#drain?.release();
      if (!complete) sink.closed(new RpcError(Code.CANCELLED, "the client closed the request before the call completed"));
    });
  }

  pause(): void {
    this.#exchange.body.pause();
  }

  resume(): void {
    this.#exchange.body.resume();
  }

  sendHeader(header: Metadata | undefined, _encoding: string | undefined): void {
    this.#header = header;
    // A unary response waits for its status; a stream starts now.
    if (this.#streaming) this.#respond(200, streamType, header, undefined);
  }

  sendMessage(payload: Uint8Array, _compressed: boolean): Promise<void> | undefined {
    if (this.#finished) return undefined;
    const exchange = this.#exchange;
    if (exchange.write(line("result", payload))) return undefined;
    return (this.#drain ??= new DrainWaiter()).wait(exchange.out);
  }

  finish(status: RpcError | null, trailer: Metadata | undefined, last?: Uint8Array, _lastCompressed?: boolean): void {
    if (this.#finished) return;
    if (!this.#streaming) {
      this.finishWithoutResponse(status, this.#header, trailer, last);
      return;
    }
    this.#done();
    const exchange = this.#exchange;
    if (status) exchange.end(line("error", new TextEncoder().encode(JSON.stringify(errorJson(status, this.#settings.registry)))));
    else exchange.end(last ? line("result", last) : undefined);
  }

  finishWithoutResponse(status: RpcError | null, header: Metadata | undefined, trailer: Metadata | undefined, body?: Uint8Array): void {
    if (this.#finished) return;
    this.#done();
    const exchange = this.#exchange;
    if (status) {
      const md = status.metadata;
      const json = Buffer.from(JSON.stringify(errorJson(status, this.#settings.registry)));
      this.#respond(httpStatusFromCode(status.code), jsonType, header, trailer, md, json.byteLength);
      exchange.end(json);
      return;
    }
    this.#respond(200, this.#streaming ? streamType : jsonType, header, trailer, undefined, body?.byteLength ?? 0);
    exchange.end(body);
  }

  #done(): void {
    this.#finished = true;
    this.#drain?.release();
  }

  #respond(status: number, contentType: string, header: Metadata | undefined, trailer: Metadata | undefined, errorMetadata?: Metadata, length?: number): void {
    const h: ResponseHeaders = { "content-type": contentType };
    if (length !== undefined) h["content-length"] = String(length);
    // As grpc-gateway writes them: a REST client has no HTTP/2 trailers to read, and a
    // handler's metadata can never pose as an HTTP header of its own.
    writePrefixedMetadata(h, header, "grpc-metadata-");
    writePrefixedMetadata(h, trailer, "grpc-trailer-");
    writePrefixedMetadata(h, errorMetadata, "grpc-trailer-");
    this.#exchange.respond(status, h);
  }
}

const open = { result: Buffer.from('{"result":'), error: Buffer.from('{"error":') };
const close = Buffer.from("}\n");

function line(kind: "result" | "error", json: Uint8Array): Buffer {
  return Buffer.concat([open[kind], json, close]);
}
