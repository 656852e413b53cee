import type { OutgoingHttpHeaders } from "node:http2";
import { supportedEncodings } from "../internal/compression.js";
import { ConnectClientWire } from "../internal/transport/connect-client-wire.js";
import { encodeConnectTimeout } from "../internal/web/connect-timeout.js";
import { createChannelTo, type Channel, type ChannelOptions, type ChannelProtocol } from "./channel.js";
import { parseTarget } from "./target.js";

/** Options of `createConnectChannel`: those of a gRPC channel. */
export type ConnectChannelOptions = ChannelOptions;

const acceptEncoding = supportedEncodings.join(",");

/** The Connect protocol (connectrpc.com/docs/protocol) as a channel speaks it. */
const connectProtocol: ChannelProtocol = {
  requestHeaders(method, path, codec, compression, deadline) {
    const unary = method.methodKind === "unary";
    const headers: OutgoingHttpHeaders = {
      ":method": "POST",
      ":path": path,
      "content-type": unary ? `application/${codec.name}` : `application/connect+${codec.name}`,
      "connect-protocol-version": "1",
    };
    if (unary) {
      headers["accept-encoding"] = acceptEncoding;
      if (compression) headers["content-encoding"] = compression;
    } else {
      headers["connect-accept-encoding"] = acceptEncoding;
      if (compression) headers["connect-content-encoding"] = compression;
    }
    if (deadline !== undefined) headers["connect-timeout-ms"] = encodeConnectTimeout(deadline);
    return headers;
  },
  wire(stream, method, maxReceiveBytes) {
    return new ConnectClientWire(stream, method.methodKind === "unary", maxReceiveBytes);
  },
};

/**
 * A channel that calls by the Connect protocol (connectrpc.com/docs/protocol)
 * instead of gRPC, over HTTP/2: for servers that speak Connect (connect-go,
 * Connect-ES, tsgrpc). Everything else is a channel's: targets, resolvers,
 * balancing, keepalive, waitForReady, TLS, call credentials, and the same
 * `createClient` with interceptors, deadlines, signals, metadata,
 * compression and errors with details, for all four kinds of call. Binary
 * by default; `codec: createJsonCodec()` for JSON. Creating one does no I/O.
 *
 * ```ts
 * const users = createClient(UserService, createConnectChannel("http://127.0.0.1:8080"));
 * ```
 *
 * For HTTP/1.1 (unary and server streaming), use `createConnectTransport`
 * from `tsgrpc/web`, over fetch.
 */
export function createConnectChannel(target: string, options: ConnectChannelOptions = {}): Channel {
  return createChannelTo(parseTarget(target, options), target, options, connectProtocol);
}
