import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import type { Codec } from "../codec/codec.js";
import { protoCodec } from "../codec/proto-codec.js";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";
import { decodeBase64 } from "../internal/base64.js";
import { parseTimeout } from "../internal/grpc-timeout.js";
import { parseConnectTimeout } from "../internal/web/connect-timeout.js";
import { ConnectStreamServerWire, ConnectUnaryServerWire } from "../internal/transport/connect-server-wire.js";
import type { ExchangeServerWire, ExchangeWireInit } from "../internal/transport/exchange-server-wire.js";
import { GrpcWebServerWire } from "../internal/transport/grpc-web-server-wire.js";
import { withResponseHeaders, type HttpExchange } from "../internal/transport/http-exchange.js";
import type { CorsPolicy } from "./cors.js";
import type { DispatchSettings } from "./http2-dispatch.js";
import { ServerCall, type MethodEntry } from "./server-call.js";

/** Which browser-facing protocols a server answers, settled in `createServer`. */
export interface WebProtocolSettings {
  /** gRPC-Web (`application/grpc-web`, `-text`), over HTTP/1.1 and HTTP/2. */
  readonly grpcWeb: boolean;
  /** The Connect protocol (`application/proto`, `application/json`, `application/connect+…`, GET). */
  readonly connect: boolean;
  readonly cors: CorsPolicy | undefined;
}

/**
 * Answers a request of a protocol made for any HTTP version (gRPC-Web,
 * Connect) and CORS preflights for them; returns false, having done
 * nothing, when the request is none of those (the caller refuses it as
 * before). Never reached by gRPC requests: their content type is checked first.
 * Every answer to an origin that CORS allows carries the CORS response
 * headers, refusals (405, 415) as much as calls.
 */
export function dispatchWebRequest(request: HttpExchange, d: DispatchSettings, web: WebProtocolSettings): boolean {
  const headers = request.headers;
  const cors = web.cors;
  if (cors && cors.isPreflight(request.method, headers)) {
    const answer = cors.preflight(headers);
    request.respond(answer.status, { ...answer.headers, "content-length": "0" }, true);
    return true;
  }
  const ex = cors ? withResponseHeaders(request, cors.responseHeaders(headers)) : request;
  const rawType = headers["content-type"];
  const contentType = typeof rawType === "string" ? mediaType(rawType) : "";
  if (web.grpcWeb && contentType.startsWith("application/grpc-web")) {
    return grpcWeb(ex, d, contentType, rawType as string);
  }
  if (!web.connect) return false;
  if (ex.method === "GET") return connectGet(ex, d);
  if (ex.method !== "POST") return false;
  if (contentType.startsWith("application/connect+")) return connect(ex, d, contentType.slice(20), true);
  if (contentType.startsWith("application/")) return connect(ex, d, contentType.slice(12), false);
  return false;
}

function grpcWeb(ex: HttpExchange, d: DispatchSettings, contentType: string, rawType: string): boolean {
  const m = /^application\/grpc-web(-text)?(?:\+([a-z0-9._-]+))?$/.exec(contentType);
  if (!m) return false;
  if (ex.method !== "POST") {
    ex.respond(405, { allow: "POST", "content-length": "0" }, true);
    return true;
  }
  const codec = d.codecs.get(m[2] ?? "proto");
  if (!codec) {
    refuse(ex, 415, `unsupported content-type "${rawType}": this server reads application/grpc-web+{${[...d.codecs.keys()].join(",")}}`);
    return true;
  }
  const encoding = header(ex, "grpc-encoding");
  const timeout = header(ex, "grpc-timeout");
  const timeoutMs = timeout === undefined ? undefined : parseTimeout(timeout);
  const wire = new GrpcWebServerWire(
    ex,
    rawType,
    wireInit(d, codec, timeoutMs, encoding === "identity" ? undefined : encoding, header(ex, "grpc-accept-encoding") ?? "", m[1] !== undefined),
    { acceptEncodingHeader: d.call.acceptEncodingHeader },
  );
  if (timeout !== undefined && timeoutMs === undefined) return fail(wire, Code.INTERNAL, `malformed grpc-timeout "${timeout}"`);
  const entry = d.router.find(ex.path);
  if (!entry) return fail(wire, Code.UNIMPLEMENTED, d.router.explainMissing(ex.path));
  return start(wire, entry, d);
}

function connect(ex: HttpExchange, d: DispatchSettings, subtype: string, streaming: boolean): boolean {
  const codec = d.codecs.get(subtype);
  const entry = d.router.find(ex.path);
  if (!codec) {
    // application/x-www-form-urlencoded and friends: not Connect at all, unless the path is a method.
    if (!entry) return false;
    refuse(ex, 415, `unsupported content-type: Connect requests to this server use application/{${[...d.codecs.keys()].join(",")}}`, {
      "accept-post": [...d.codecs.keys()].map((c) => `application/${c}, application/connect+${c}`).join(", "),
    });
    return true;
  }
  // Not a method: a path of some other handler (REST, static files) when it does not look like one.
  if (!entry && !streaming && !methodPath.test(ex.path)) return false;
  const contentType = streaming ? `application/connect+${subtype}` : `application/${subtype}`;
  const encoding = header(ex, streaming ? "connect-content-encoding" : "content-encoding");
  const accept = header(ex, streaming ? "connect-accept-encoding" : "accept-encoding") ?? "";
  const timeout = header(ex, "connect-timeout-ms");
  const timeoutMs = parseConnectTimeout(timeout);
  const init = wireInit(d, codec, timeoutMs, encoding === "identity" ? undefined : encoding, accept, false);
  const wire: ExchangeServerWire = streaming ? new ConnectStreamServerWire(ex, contentType, init) : new ConnectUnaryServerWire(ex, contentType, init);
  if (!entry) return fail(wire, Code.UNIMPLEMENTED, d.router.explainMissing(ex.path));
  const version = header(ex, "connect-protocol-version");
  if (version !== undefined && version !== "1") return fail(wire, Code.INVALID_ARGUMENT, `connect-protocol-version must be "1", got "${version}"`);
  if (timeout !== undefined && timeoutMs === undefined) return fail(wire, Code.INVALID_ARGUMENT, `malformed connect-timeout-ms "${timeout}"`);
  const unary = entry.method.methodKind === "unary";
  if (unary === streaming) {
    return fail(wire, Code.UNIMPLEMENTED, `${entry.method.parent.typeName}/${entry.method.name} is ${unary ? "unary" : "streaming"}: use ${unary ? "application/" : "application/connect+"}${subtype}`);
  }
  if (entry.method.methodKind === "bidi_streaming" && ex.httpVersion !== "h2") {
    return fail(wire, Code.UNIMPLEMENTED, "bidirectional streaming needs HTTP/2");
  }
  return start(wire, entry, d);
}

/** A Connect unary GET (`?encoding=json&message=…&base64=1&compression=gzip&connect=v1`), for side-effect-free methods. */
function connectGet(ex: HttpExchange, d: DispatchSettings): boolean {
  const entry = d.router.find(ex.path);
  if (!entry) {
    // A GET for a method this server does not have is answered as Connect when it is one.
    if (!methodPath.test(ex.path) || !/(?:^|&)encoding=/.test(ex.query)) return false;
    const codec = d.codecs.get(new URLSearchParams(ex.query).get("encoding") ?? "") ?? protoCodec;
    const wire = new ConnectUnaryServerWire(ex, `application/${codec.name}`, wireInit(d, codec, undefined, undefined, "", false), new Uint8Array(0));
    return fail(wire, Code.UNIMPLEMENTED, d.router.explainMissing(ex.path));
  }
  if (entry.method.methodKind !== "unary" || entry.method.idempotency !== MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS) {
    ex.respond(405, { allow: "POST", "content-length": "0" }, true);
    return true;
  }
  const q = new URLSearchParams(ex.query);
  const encodingName = q.get("encoding");
  const codec = encodingName === null ? undefined : d.codecs.get(encodingName);
  if (!codec) {
    refuse(ex, 415, `Connect GET requests need an encoding query parameter, one of ${[...d.codecs.keys()].join(", ")}`);
    return true;
  }
  const compression = q.get("compression");
  const timeout = header(ex, "connect-timeout-ms");
  const timeoutMs = parseConnectTimeout(timeout);
  const init = wireInit(d, codec, timeoutMs, compression === null || compression === "identity" ? undefined : compression, header(ex, "accept-encoding") ?? "", false);
  const raw = q.get("message") ?? "";
  const message = q.get("base64") === "1" ? decodeBase64(raw) : new TextEncoder().encode(raw);
  const wire = new ConnectUnaryServerWire(ex, `application/${codec.name}`, init, message ?? new Uint8Array(0));
  const connectParam = q.get("connect");
  if (connectParam !== null && connectParam !== "v1") return fail(wire, Code.INVALID_ARGUMENT, `the connect query parameter must be "v1", got "${connectParam}"`);
  if (message === undefined) return fail(wire, Code.INVALID_ARGUMENT, "the message query parameter is not base64");
  if (timeout !== undefined && timeoutMs === undefined) return fail(wire, Code.INVALID_ARGUMENT, `malformed connect-timeout-ms "${timeout}"`);
  return start(wire, entry, d);
}

function start(wire: ExchangeServerWire, entry: MethodEntry, d: DispatchSettings): boolean {
  new ServerCall(wire, entry, d.call);
  return true;
}

function fail(wire: ExchangeServerWire, code: Code, message: string): boolean {
  wire.finishWithoutResponse(new RpcError(code, message), undefined, undefined);
  return true;
}

function wireInit(
  d: DispatchSettings,
  codec: Codec,
  timeoutMs: number | undefined,
  requestEncoding: string | undefined,
  acceptEncoding: string,
  text: boolean,
): ExchangeWireInit {
  return {
    codec,
    timeoutMs,
    requestEncoding,
    acceptEncoding,
    maxReceiveBytes: d.call.maxReceiveBytes,
    text,
  };
}

/** What a gRPC method's path looks like: `/package.Service/Method`. */
const methodPath = /^\/[^/]+\.[^/]+\/[^/]+$/;

function header(ex: HttpExchange, name: string): string | undefined {
  const v = ex.headers[name];
  return typeof v === "string" ? v : Array.isArray(v) ? v.join(",") : undefined;
}

/** The media type alone: lowercase, without parameters (`; charset=utf-8`). */
function mediaType(contentType: string): string {
  const semi = contentType.indexOf(";");
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

function refuse(ex: HttpExchange, status: number, message: string, extra: Record<string, string> = {}): void {
  const body = Buffer.from(message + "\n");
  ex.respond(status, { ...extra, "content-type": "text/plain; charset=utf-8", "content-length": String(body.byteLength) });
  ex.end(body);
}
