import type { DescMethod, Message } from "@bufbuild/protobuf";
import type { OutgoingHttpHeaders } from "node:http2";
import type { CallFn, Interceptor, StreamRequest, UnaryRequest } from "../interceptor.js";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";
import { checkCompressionName, findCompression, supportedEncodings, type CompressionName } from "../internal/compression.js";
import { encodeTimeout } from "../internal/grpc-timeout.js";
import { serializeMessage } from "../internal/message-codec.js";
import { ClientCall, refusedBeforeStart } from "./client-call.js";
import { GrpcClientWire } from "../internal/transport/grpc-client-wire.js";
import { Http2Connection, type Connection, type ConnectionTarget } from "../internal/transport/http2-connection.js";
import { parseTarget } from "./target.js";
import type { Transport } from "./transport.js";
import type { Codec } from "../codec/codec.js";
import { protoCodec } from "../codec/proto-codec.js";
import { checkCodec } from "../codec/check-codec.js";
import { noteChannelCreated } from "../internal/deadline-propagation.js";
import { checkByteLimit, defaultMaxReceiveBytes, unlimitedBytes } from "../internal/limits.js";
import { checkCallCredentials, withCallCredentials, type CallCredentials } from "../credentials/call-credentials.js";

/** TLS settings of a channel. */
export interface ChannelTlsOptions {
  /** Trusted CA certificates (PEM). Default: Node's bundled roots. */
  ca?: string | Buffer | (string | Buffer)[];
  /** Client certificate chain for mTLS (PEM). */
  cert?: string | Buffer;
  /** Client private key for mTLS (PEM). */
  key?: string | Buffer;
  /** Name checked against the server certificate and sent as SNI, instead of the target's host. */
  serverName?: string;
}

/** Options of a channel, validated once in `createChannel`. */
export interface ChannelOptions {
  /** Use TLS with these settings. Implied (with defaults) by an `https://` target. */
  tls?: ChannelTlsOptions;
  /** Plain-text HTTP/2. Implied by an `http://` target; a bare `host:port` target needs `tls` or this. */
  insecure?: boolean;
  /** Largest response message accepted, in bytes, after decompression. Default 4 MiB (4,194,304). */
  maxReceiveBytes?: number;
  /** Largest request message sent, in bytes. Default: unlimited. */
  maxSendBytes?: number;
  /** Compression of request messages. Default `identity`. */
  compression?: "identity" | CompressionName;
  /** Interceptors for every call on this channel, outermost first. */
  interceptors?: Interceptor[];
  /**
   * How messages are serialized: `protoCodec` (binary, `application/grpc`,
   * the default) or `createJsonCodec()` (`application/grpc+json`, for
   * servers that read it), or a codec of your own.
   */
  codec?: Codec;
  /** Appended to tsgrpc's `user-agent`. */
  userAgent?: string;
  /**
   * Metadata made for every call (tokens), composed in order with the
   * channel's TLS. Only allowed over TLS: a plain-text channel with call
   * credentials throws a `TypeError`, unless `allowInsecureCallCredentials`.
   */
  callCredentials?: CallCredentials | CallCredentials[];
  /** Sends call credentials over plain text too (a local sidecar, tests). Default false. */
  allowInsecureCallCredentials?: boolean;
}

/**
 * A channel to one target: the HTTP/2 connection(s) that calls share, and
 * what every call on it has in common. It is the `Transport` of the clients
 * created on it (`createClient`); `close` it when done. Creating one does no
 * I/O.
 */
export interface Channel extends Transport {
  readonly target: string;
  /** Closes the connection once calls in flight end; new calls fail with UNAVAILABLE. */
  close(): void;
  /** The channel's interceptors (`ChannelOptions.interceptors`). */
  readonly interceptors: readonly Interceptor[];
}

const userAgentBase = "tsgrpc-node/0.1.0";

/**
 * Creates a channel to `target`: `http://host:port` (plain text),
 * `https://host:port` (TLS), `host:port` with `tls` or `insecure`, or
 * `unix:/path/to/socket`.
 *
 * ```ts
 * const channel = createChannel("http://127.0.0.1:50051");
 * ```
 */
export function createChannel(target: string, options: ChannelOptions = {}): Channel {
  return createChannelTo(parseTarget(target, options), target, options);
}

/** A channel to an already parsed target (tsgrpc/testing's in-process connections). @internal */
export function createChannelTo(parsed: ConnectionTarget, target: string, options: ChannelOptions): Channel {
  noteChannelCreated();
  const secure = parsed.tls !== undefined;
  const callCredentials = checkCallCredentials(options.callCredentials, secure, options.allowInsecureCallCredentials, target);
  const connection: Connection = new Http2Connection(parsed);
  const defaults = {
    maxReceiveBytes: checkByteLimit(options.maxReceiveBytes, "maxReceiveBytes", defaultMaxReceiveBytes),
    maxSendBytes: checkByteLimit(options.maxSendBytes, "maxSendBytes", unlimitedBytes),
    compression: checkCompressionName(options.compression, "createChannel"),
    userAgent: options.userAgent ? `${options.userAgent} ${userAgentBase}` : userAgentBase,
    acceptEncoding: ["identity", ...supportedEncodings].join(","),
    codec: options.codec === undefined ? protoCodec : checkCodec(options.codec, "createChannel"),
  };
  const contentType = defaults.codec === protoCodec ? "application/grpc" : `application/grpc+${defaults.codec.name}`;
  const paths = new WeakMap<DescMethod, string>();
  const pathOf = (m: DescMethod) => {
    let p = paths.get(m);
    if (p === undefined) paths.set(m, (p = `/${m.parent.typeName}/${m.name}`));
    return p;
  };

  const call: CallFn = (req) => {
    const o = req.options ?? {};
    const method = req.method;
    const deadline = req.deadline;
    const refused = refusedBeforeStart(req);
    if (refused) return Promise.reject(refused);
    const maxSendBytes = o.maxSendBytes ?? defaults.maxSendBytes;
    let firstBytes: Uint8Array | undefined;
    if (!req.stream) {
      try {
        firstBytes = serializeMessage(defaults.codec, method.input, req.message, maxSendBytes);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    const compressionName = o.compression !== undefined ? checkCompressionName(o.compression, "call options") : defaults.compression;
    const headers: OutgoingHttpHeaders = {
      ":method": "POST",
      ":path": pathOf(method),
      "content-type": contentType,
      te: "trailers",
      "user-agent": defaults.userAgent,
      "grpc-accept-encoding": defaults.acceptEncoding,
    };
    if (deadline !== undefined) headers["grpc-timeout"] = encodeTimeout(deadline - Date.now());
    if (compressionName) headers["grpc-encoding"] = compressionName;
    req.header.writeTo(headers as Record<string, string | string[]>);
    let stream;
    try {
      stream = connection.request(headers);
    } catch (e) {
      return Promise.reject(new RpcError(Code.UNAVAILABLE, (e as Error).message, { cause: e }));
    }
    const clientCall = new ClientCall(new GrpcClientWire(stream, o.maxReceiveBytes ?? defaults.maxReceiveBytes), {
      output: method.output,
      codec: defaults.codec,
      maxReceiveBytes: o.maxReceiveBytes ?? defaults.maxReceiveBytes,
      sendCompression: compressionName ? findCompression(compressionName) : undefined,
      findCompression,
      deadline,
      signal: req.signal,
      onHeader: o.onHeader,
      onTrailer: o.onTrailer,
    });
    if (firstBytes) clientCall.sendLast(firstBytes);
    else void clientCall.pump(req as StreamRequest, maxSendBytes, o.compressMessage);
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

export type { UnaryRequest };
