import type { Metadata } from "../../metadata/metadata.js";
import type { RpcError } from "../../status/rpc-error.js";
import { writeStatusTrailers } from "../status-trailers.js";
import { flagTrailer } from "../web/frame-flags.js";
import { ExchangeServerWire, type ExchangeWireInit } from "./exchange-server-wire.js";
import type { HttpExchange } from "./http-exchange.js";

type Headers = Record<string, string | string[]>;


/** Request headers that belong to gRPC-Web or HTTP, not to the call's metadata. */
const protocolHeaders = new Set(["x-grpc-web", "content-length", "accept", "accept-encoding", "origin", "referer", "connection", "keep-alive"]);

/** What the gRPC-Web wires of a server share. */
export interface GrpcWebWireSettings {
  /** The server's `grpc-accept-encoding`: `identity,gzip,deflate`. */
  readonly acceptEncodingHeader: string;
}

/**
 * gRPC-Web (gRPC's `doc/PROTOCOL-WEB.md`) on one HTTP/1.1 or HTTP/2
 * exchange: gRPC's framing and headers, but the status travels in a last
 * length-prefixed frame (flag 0x80) of HTTP/1-style header lines instead of
 * HTTP trailers, or in the response headers when nothing else is sent. In
 * text mode (`application/grpc-web-text`) both bodies are base64.
 */
export class GrpcWebServerWire extends ExchangeServerWire {
  readonly #contentType: string;
  readonly #settings: GrpcWebWireSettings;

  constructor(exchange: HttpExchange, contentType: string, init: ExchangeWireInit, settings: GrpcWebWireSettings) {
    super(exchange, init);
    this.#contentType = contentType;
    this.#settings = settings;
  }

  requestMetadata(): Metadata {
    return this.metadataWithout(protocolHeaders);
  }

  sendHeader(header: Metadata | undefined, encoding: string | undefined): void {
    const h: Headers = { "content-type": this.#contentType, "grpc-accept-encoding": this.#settings.acceptEncodingHeader };
    if (encoding) h["grpc-encoding"] = encoding;
    header?.writeTo(h);
    this.exchange.respond(200, h);
  }

  finish(status: RpcError | null, trailer: Metadata | undefined, last?: Uint8Array, lastCompressed?: boolean): void {
    this.endStream(last, lastCompressed, () => {
      const t: Headers = {};
      writeStatusTrailers(t, status, trailer);
      return { payload: trailerBlock(t), flags: flagTrailer };
    });
  }

  finishWithoutResponse(status: RpcError | null, header: Metadata | undefined, trailer: Metadata | undefined): void {
    if (this.finished) return;
    this.markFinished();
    // Trailers-only: the status in the response headers, and an empty body.
    const h: Headers = { "content-type": this.#contentType, "grpc-accept-encoding": this.#settings.acceptEncodingHeader };
    header?.writeTo(h);
    writeStatusTrailers(h, status, trailer);
    this.exchange.respond(200, h, true);
  }
}

/** Trailers as gRPC-Web's trailer frame carries them: `name: value` lines, CRLF-terminated. */
export function trailerBlock(trailers: Headers): Uint8Array {
  let text = "";
  for (const name in trailers) {
    const value = trailers[name]!;
    if (typeof value === "string") text += `${name}: ${value}\r\n`;
    else for (const v of value) text += `${name}: ${v}\r\n`;
  }
  return Buffer.from(text, "latin1");
}
