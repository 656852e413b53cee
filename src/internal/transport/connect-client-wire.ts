import { constants, type ClientHttp2Stream, type IncomingHttpHeaders } from "node:http2";
import { Metadata } from "../../metadata/metadata.js";
import { Code } from "../../status/code.js";
import { codeFromRstCode } from "../../status/http-status.js";
import { RpcError } from "../../status/rpc-error.js";
import { flagCompressed, writeEnvelope } from "../envelope.js";
import { WebResponseDecoder } from "../web/response-decoder.js";
import type { ClientWire, ClientWireSink } from "./client-wire.js";
import { describeConnectionError } from "./connection-error.js";
import { DrainWaiter } from "./drain-waiter.js";
import { resetStream } from "./reset-stream.js";

/**
 * The Connect protocol (connectrpc.com/docs/protocol) on one HTTP/2 client
 * stream: a unary request is the bare message, a streaming one
 * length-prefixed messages; the response is read by the decoder that
 * browsers use too, and every way the stream can end becomes one status.
 */
export class ConnectClientWire implements ClientWire {
  readonly #stream: ClientHttp2Stream;
  readonly #unary: boolean;
  readonly #maxReceiveBytes: number;
  #decoder: WebResponseDecoder | undefined;
  #sink: ClientWireSink | undefined;
  #done = false;
  #drain: DrainWaiter | undefined;

  constructor(stream: ClientHttp2Stream, unary: boolean, maxReceiveBytes: number) {
    this.#stream = stream;
    this.#unary = unary;
    this.#maxReceiveBytes = maxReceiveBytes;
  }

  start(sink: ClientWireSink): void {
    this.#sink = sink;
    const stream = this.#stream;
    const decoder = (this.#decoder = new WebResponseDecoder(this.#unary ? "connect-unary" : "connect-stream", sink, this.#maxReceiveBytes, false));
    stream.on("response", (h: IncomingHttpHeaders) => decoder.head(Number(h[":status"] ?? 0), h as Record<string, string | string[]>));
    stream.on("data", (chunk: Buffer) => decoder.body(chunk));
    stream.on("end", () => decoder.end());
    stream.on("close", () => this.#onClose());
    stream.on("error", (e: Error & { code?: string }) => {
      if (this.#done || decoder.done) return;
      if (e.code === "ERR_HTTP2_STREAM_ERROR") {
        const rst = stream.rstCode ?? constants.NGHTTP2_INTERNAL_ERROR;
        this.#fail(new RpcError(codeFromRstCode(rst), `stream reset with HTTP/2 error code ${rst}`, { cause: e }));
      } else {
        this.#fail(new RpcError(Code.UNAVAILABLE, describeConnectionError(e), { cause: e }));
      }
    });
  }

  header(): Metadata {
    return this.#decoder?.header() ?? new Metadata();
  }

  trailer(): Metadata {
    return this.#decoder?.trailer() ?? new Metadata();
  }

  send(payload: Uint8Array, compressed: boolean): Promise<void> | undefined {
    if (this.#done || this.#stream.writableEnded) return undefined;
    if (writeEnvelope(this.#stream, payload, compressed ? flagCompressed : 0, false)) return undefined;
    return (this.#drain ??= new DrainWaiter()).wait(this.#stream);
  }

  sendLast(payload: Uint8Array, compressed: boolean): void {
    if (this.#done || this.#stream.writableEnded) return;
    if (this.#unary) this.#stream.end(payload);
    else writeEnvelope(this.#stream, payload, compressed ? flagCompressed : 0, true);
  }

  closeSend(): void {
    if (!this.#stream.writableEnded) this.#stream.end();
  }

  get sendClosed(): boolean {
    return this.#done || this.#stream.writableEnded;
  }

  cancel(): void {
    if (!this.#stream.closed && !this.#stream.destroyed) resetStream(this.#stream);
  }

  finished(): void {
    this.#done = true;
    this.#drain?.release();
    if (!this.#stream.writableEnded && !this.#stream.destroyed) this.#stream.close(constants.NGHTTP2_CANCEL);
  }

  pause(): void {
    this.#stream.pause();
  }

  resume(): void {
    this.#stream.resume();
  }

  #onClose(): void {
    if (this.#done || this.#decoder!.done) return;
    const rst = this.#stream.rstCode ?? constants.NGHTTP2_NO_ERROR;
    this.#fail(
      rst !== constants.NGHTTP2_NO_ERROR
        ? new RpcError(codeFromRstCode(rst), `stream reset by the server with HTTP/2 error code ${rst}`)
        : new RpcError(Code.UNAVAILABLE, "the stream closed before the server answered"),
    );
  }

  #fail(error: RpcError): void {
    this.#decoder!.done = true;
    this.#sink?.failed(error);
  }
}
