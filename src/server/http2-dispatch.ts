import * as http2 from "node:http2";
import type { Codec } from "../codec/codec.js";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";
import { parseTimeout } from "../internal/grpc-timeout.js";
import { grpcSubtype } from "../internal/grpc-content-type.js";
import { GrpcServerWire, respondTrailersOnly, type GrpcWireSettings } from "../internal/transport/grpc-server-wire.js";
import { http2Exchange } from "../internal/transport/http-exchange.js";
import { dispatchWebRequest, type WebProtocolSettings } from "./web-dispatch.js";
import { headerListBytes } from "./request-header-limit.js";
import type { Router } from "./router.js";
import { http2Exchange as http2RestExchange } from "../transcoding/rest-exchange.js";
import { dispatchRest, type RestDispatchSettings } from "./rest-dispatch.js";
import { ServerCall, type ServerCallSettings } from "./server-call.js";

/** What the dispatch of every HTTP/2 stream of a server needs, settled in `createServer`. */
export interface DispatchSettings {
  readonly router: Router;
  readonly call: ServerCallSettings;
  readonly grpcWire: GrpcWireSettings;
  /** Codecs by content subtype (`proto`, `json`). */
  readonly codecs: ReadonlyMap<string, Codec>;
  readonly maxRequestHeaderBytes: number;
  /** HTTP/JSON transcoding, when the server has it on. */
  readonly rest: RestDispatchSettings | undefined;
  /** The protocols besides gRPC (gRPC-Web, Connect) and CORS; undefined when all are off. */
  readonly web: WebProtocolSettings | undefined;
}

/** A reason to refuse every call of a connection (a client certificate that mTLS refuses), or null. */
export type ConnectionCheck = (session: http2.Http2Session) => string | null;

/**
 * The one place where a server decides what an HTTP/2 request is: which
 * protocol (by method and content type), which codec, which method; then it
 * starts the call on that protocol's wire, or answers the request itself.
 */
export function dispatchHttp2Stream(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  rawHeaders: string[] | undefined,
  d: DispatchSettings,
  check?: ConnectionCheck,
): void {
  stream.on("error", noop);
  try {
    const refusal = check && stream.session ? check(stream.session) : null;
    if (refusal) {
      respondTrailersOnly(stream, "application/grpc", undefined, new RpcError(Code.UNAVAILABLE, refusal));
      return;
    }
    const contentType = headers["content-type"];
    const grpc = typeof contentType === "string" ? grpcSubtype(contentType) : undefined;
    // Until the client acknowledges our SETTINGS, HTTP/2 does not enforce the header limit: we do.
    if (stream.session?.pendingSettingsAck && rawHeaders && headerListBytes(rawHeaders) > d.maxRequestHeaderBytes) {
      respondTrailersOnly(stream, "application/grpc", undefined, new RpcError(Code.RESOURCE_EXHAUSTED, `request headers are larger than the server's limit of ${d.maxRequestHeaderBytes} bytes`));
      return;
    }
    if (grpc === undefined || headers[":method"] !== "POST") {
      // Not gRPC: gRPC-Web, Connect, a CORS preflight, REST, or nothing this server answers.
      if (d.web && dispatchWebRequest(http2Exchange(stream, headers), d, d.web)) return;
      if (grpc === undefined && d.rest && dispatchRest(http2RestExchange(stream, headers), d.rest, d.router, d.call)) return;
      if (headers[":method"] !== "POST") stream.respond({ ":status": 405, allow: "POST" }, { endStream: true });
      else refuseContentType(stream, "unsupported content-type: gRPC requests use application/grpc");
      return;
    }
    const codec = d.codecs.get(grpc || "proto");
    if (!codec) {
      refuseContentType(stream, `unsupported content-type "${String(contentType)}": this server reads application/grpc+{${[...d.codecs.keys()].join(",")}}`);
      return;
    }
    const path = headers[":path"] ?? "";
    const entry = d.router.find(path);
    if (!entry) {
      respondTrailersOnly(stream, contentType as string, undefined, new RpcError(Code.UNIMPLEMENTED, d.router.explainMissing(path)));
      return;
    }
    let timeoutMs: number | undefined;
    const timeout = headers["grpc-timeout"];
    if (timeout !== undefined) {
      timeoutMs = parseTimeout(String(timeout));
      if (timeoutMs === undefined) {
        respondTrailersOnly(stream, contentType as string, d.grpcWire.acceptEncodingHeader, new RpcError(Code.INTERNAL, `malformed grpc-timeout "${String(timeout)}"`));
        return;
      }
    }
    new ServerCall(new GrpcServerWire(stream, headers, contentType as string, codec, timeoutMs, d.grpcWire), entry, d.call);
  } catch {
    // A stream that closed while we answered: nothing to do.
    if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  }
}

function refuseContentType(stream: http2.ServerHttp2Stream, message: string): void {
  stream.respond({ ":status": 415, "content-type": "text/plain" }, { endStream: false });
  stream.end(message);
}

function noop(): void {}
