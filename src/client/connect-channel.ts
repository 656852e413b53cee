import type { DescMethod } from "@bufbuild/protobuf";
import type { OutgoingHttpHeaders } from "node:http2";
import type { CallFn, StreamRequest } from "../interceptor.js";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";
import { checkCompressionName, findCompression, supportedEncodings } from "../internal/compression.js";
import { serializeMessage } from "../internal/message-codec.js";
import { checkByteLimit, defaultMaxReceiveBytes, unlimitedBytes } from "../internal/limits.js";
import { ConnectClientWire } from "../internal/transport/connect-client-wire.js";
import { Http2Connection } from "../internal/transport/http2-connection.js";
import { protoCodec } from "../codec/proto-codec.js";
import { checkCodec } from "../codec/check-codec.js";
import { ClientCall, refusedBeforeStart } from "./client-call.js";
import type { Channel, ChannelOptions } from "./channel.js";
import { parseTarget } from "./target.js";
import { checkCallCredentials, withCallCredentials } from "../credentials/call-credentials.js";

/** Options of `createConnectChannel`: those of a gRPC channel that apply to Connect. */
export type ConnectChannelOptions = Pick<
  ChannelOptions,
  "tls" | "insecure" | "maxReceiveBytes" | "maxSendBytes" | "compression" | "interceptors" | "codec" | "userAgent" | "callCredentials" | "allowInsecureCallCredentials"
>;

const userAgentBase = "tsgrpc-node/0.1.0";

/**
 * A channel that calls by the Connect protocol (connectrpc.com/docs/protocol)
 * instead of gRPC, over one HTTP/2 connection: for servers that speak
 * Connect only (connect-go, Connect-ES, tsgrpc), with the same
 * `createClient`, interceptors, deadlines, signals, metadata, compression,
 * call credentials (TLS only, as on a channel) and errors with details. All four kinds of call. Binary by default;
 * `codec: createJsonCodec()` for JSON. Creating one does no I/O.
 *
 * ```ts
 * const users = createClient(UserService, createConnectChannel("http://127.0.0.1:8080"));
 * ```
 *
 * For HTTP/1.1 (unary and server streaming), use `createConnectTransport`
 * from `tsgrpc/web`, over fetch.
 */
export function createConnectChannel(target: string, options: ConnectChannelOptions = {}): Channel {
  const parsed = parseTarget(target, options);
  const secure = parsed.tls !== undefined;
  const callCredentials = checkCallCredentials(options.callCredentials, secure, options.allowInsecureCallCredentials, target);
  const connection = new Http2Connection(parsed);
  const maxReceiveBytes = checkByteLimit(options.maxReceiveBytes, "maxReceiveBytes", defaultMaxReceiveBytes);
  const maxSendBytes = checkByteLimit(options.maxSendBytes, "maxSendBytes", unlimitedBytes);
  const compression = checkCompressionName(options.compression, "createConnectChannel");
  const codec = options.codec === undefined ? protoCodec : checkCodec(options.codec, "createConnectChannel");
  const userAgent = options.userAgent ? `${options.userAgent} ${userAgentBase}` : userAgentBase;
  const acceptEncoding = supportedEncodings.join(",");
  const paths = new WeakMap<DescMethod, string>();
  const pathOf = (m: DescMethod) => {
    let p = paths.get(m);
    if (p === undefined) paths.set(m, (p = `/${m.parent.typeName}/${m.name}`));
    return p;
  };

  const call: CallFn = (req) => {
    const o = req.options ?? {};
    const method = req.method;
    const refused = refusedBeforeStart(req);
    if (refused) return Promise.reject(refused);
    const sendLimit = o.maxSendBytes ?? maxSendBytes;
    let firstBytes: Uint8Array | undefined;
    if (!req.stream) {
      try {
        firstBytes = serializeMessage(codec, method.input, req.message, sendLimit);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    const unary = method.methodKind === "unary";
    const compressionName = o.compression !== undefined ? checkCompressionName(o.compression, "call options") : compression;
    const headers: OutgoingHttpHeaders = {
      ":method": "POST",
      ":path": pathOf(method),
      "content-type": unary ? `application/${codec.name}` : `application/connect+${codec.name}`,
      "connect-protocol-version": "1",
      "user-agent": userAgent,
    };
    if (unary) {
      headers["accept-encoding"] = acceptEncoding;
      if (compressionName) headers["content-encoding"] = compressionName;
    } else {
      headers["connect-accept-encoding"] = acceptEncoding;
      if (compressionName) headers["connect-content-encoding"] = compressionName;
    }
    if (req.deadline !== undefined) headers["connect-timeout-ms"] = String(Math.max(0, Math.ceil(req.deadline - Date.now())));
    req.header.writeTo(headers as Record<string, string | string[]>);
    let stream;
    try {
      stream = connection.request(headers);
    } catch (e) {
      return Promise.reject(new RpcError(Code.UNAVAILABLE, (e as Error).message, { cause: e }));
    }
    const receiveLimit = o.maxReceiveBytes ?? maxReceiveBytes;
    const clientCall = new ClientCall(new ConnectClientWire(stream, unary, receiveLimit), {
      output: method.output,
      codec,
      maxReceiveBytes: receiveLimit,
      sendCompression: compressionName ? findCompression(compressionName) : undefined,
      findCompression,
      deadline: req.deadline,
      signal: req.signal,
      onHeader: o.onHeader,
      onTrailer: o.onTrailer,
    });
    if (firstBytes) clientCall.sendLast(firstBytes);
    else void clientCall.pump(req as StreamRequest, sendLimit, o.compressMessage);
    return clientCall.response(method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming");
  };

  return {
    target,
    call: withCallCredentials(call, {
      credentials: callCredentials,
      secure,
      allowInsecure: options.allowInsecureCallCredentials === true,
      origin: `${secure ? "https" : "http"}://${parsed.authority}`,
    }),
    interceptors: options.interceptors ?? [],
    close: () => connection.close(),
  };
}
