import type { DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import type { Codec } from "../codec/codec.js";
import { protoCodec } from "../codec/proto-codec.js";
import { checkCodec } from "../codec/check-codec.js";
import { ClientCall, refusedBeforeStart } from "../client/client-call.js";
import type { Transport } from "../client/transport.js";
import type { CallFn, Interceptor } from "../interceptor.js";
import { encodeTimeout } from "../internal/grpc-timeout.js";
import { encodeConnectTimeout } from "../internal/web/connect-timeout.js";
import { checkByteLimit, defaultMaxReceiveBytes, unlimitedBytes } from "../internal/limits.js";
import { serializeMessage } from "../internal/message-codec.js";
import { FetchClientWire } from "../internal/transport/fetch-client-wire.js";
import { withCallCredentials } from "../credentials/call-credentials.js";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";

/** Options of the transports over `fetch` (`createGrpcWebTransport`, `createConnectTransport`). */
export interface FetchTransportOptions {
  /** Where the server is: `https://api.example.com`, or with a path prefix. Method paths are appended. Required. */
  baseUrl: string;
  /** How messages are serialized: `protoCodec` (binary, the default) or `createJsonCodec()`. */
  codec?: Codec;
  /** Interceptors for every call on this transport, outermost first. */
  interceptors?: Interceptor[];
  /** Largest response message accepted, in bytes. Default 4 MiB (4,194,304). */
  maxReceiveBytes?: number;
  /** Largest request message sent, in bytes. Default: unlimited. */
  maxSendBytes?: number;
  /** The `fetch` to use. Default `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Whether requests carry cookies (`fetch`'s `credentials`). Default: fetch's own (`same-origin`). */
  credentials?: RequestCredentials;
}

const userAgent = "tsgrpc-web/0.1.0";

/**
 * The call function of a transport over fetch: unary and server-streaming
 * calls (fetch sends a request body whole, so request streams are refused
 * with UNIMPLEMENTED before anything is sent), with deadlines, signals,
 * metadata and errors with details, through the same `ClientCall` as a
 * channel's calls.
 */
export function createFetchTransport(protocol: "grpc-web" | "connect", options: FetchTransportOptions, useHttpGet: boolean, where: string): Transport {
  if (!options || typeof options.baseUrl !== "string") throw new TypeError(`${where}: baseUrl is required`);
  let base: URL;
  try {
    base = new URL(options.baseUrl);
  } catch {
    throw new TypeError(`${where}: baseUrl "${options.baseUrl}" is not a URL`);
  }
  const prefix = base.href.replace(/\/$/, "");
  const codec = options.codec === undefined ? protoCodec : checkCodec(options.codec, where);
  const maxReceiveBytes = checkByteLimit(options.maxReceiveBytes, "maxReceiveBytes", defaultMaxReceiveBytes);
  const maxSendBytes = checkByteLimit(options.maxSendBytes, "maxSendBytes", unlimitedBytes);
  const fetchFn = options.fetch ?? globalThis.fetch?.bind(globalThis);
  if (typeof fetchFn !== "function") throw new TypeError(`${where}: no fetch in this runtime; pass options.fetch`);
  const noCompression = () => undefined;

  const call: CallFn = (req) => {
    const method = req.method;
    const refused = refusedBeforeStart(req);
    if (refused) return Promise.reject(refused);
    if (req.stream) {
      return Promise.reject(new RpcError(Code.UNIMPLEMENTED, `${where}: ${method.parent.typeName}/${method.name} streams requests, which fetch cannot send; use a channel (gRPC over HTTP/2)`));
    }
    const o = req.options ?? {};
    let bytes: Uint8Array;
    try {
      bytes = serializeMessage(codec, method.input, req.message, o.maxSendBytes ?? maxSendBytes);
    } catch (e) {
      return Promise.reject(e);
    }
    const unary = method.methodKind === "unary";
    const headers: Record<string, string> = {};
    req.header.writeTo(headers);
    const deadline = req.deadline;
    const wireProtocol = protocol === "grpc-web" ? "grpc-web" : unary ? "connect-unary" : "connect-stream";
    if (protocol === "grpc-web") {
      headers["content-type"] = codec === protoCodec ? "application/grpc-web+proto" : `application/grpc-web+${codec.name}`;
      headers["x-grpc-web"] = "1";
      headers["x-user-agent"] = userAgent;
      if (deadline !== undefined) headers["grpc-timeout"] = encodeTimeout(deadline - Date.now());
    } else {
      headers["content-type"] = unary ? `application/${codec.name}` : `application/connect+${codec.name}`;
      headers["connect-protocol-version"] = "1";
      if (deadline !== undefined) headers["connect-timeout-ms"] = encodeConnectTimeout(deadline);
    }
    const get = useHttpGet && unary && isSideEffectFree(method);
    const wire = new FetchClientWire(
      { url: `${prefix}/${method.parent.typeName}/${method.name}`, headers, fetch: fetchFn, credentials: options.credentials, ...(get ? { getEncoding: codec.name } : {}) },
      wireProtocol,
      o.maxReceiveBytes ?? maxReceiveBytes,
    );
    const clientCall = new ClientCall(wire, {
      output: method.output,
      codec,
      maxReceiveBytes: o.maxReceiveBytes ?? maxReceiveBytes,
      sendCompression: undefined,
      findCompression: noCompression,
      deadline,
      signal: req.signal,
      onHeader: o.onHeader,
      onTrailer: o.onTrailer,
    });
    clientCall.sendLast(bytes);
    return clientCall.response(!unary);
  };

  // Call credentials (per call) go over HTTPS only, as on a channel.
  const secure = base.protocol === "https:";
  return { call: withCallCredentials(call, { credentials: [], secure, allowInsecure: false, origin: base.origin }), interceptors: options.interceptors ?? [] };
}

function isSideEffectFree(method: DescMethod): boolean {
  return method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;
}
