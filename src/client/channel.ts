import type { DescMethod, Message } from "@bufbuild/protobuf";
import type { ClientHttp2Stream, OutgoingHttpHeaders } from "node:http2";
import type { CallFn, Interceptor, StreamRequest, UnaryRequest } from "../interceptor.js";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";
import { checkCompressionName, findCompression, supportedEncodings, type CompressionName } from "../internal/compression.js";
import { encodeTimeout } from "../internal/grpc-timeout.js";
import { serializeMessage } from "../internal/message-codec.js";
import { ClientCall, refusedBeforeStart } from "./client-call.js";
import { GrpcClientWire } from "../internal/transport/grpc-client-wire.js";
import type { ClientWire } from "../internal/transport/client-wire.js";
import { parseTarget, type ChannelTarget } from "./target.js";
import { ChannelConnection } from "./channel-connection.js";
import type { ConnectivityState, LoadBalancerFactory } from "./balancer/load-balancer.js";
import { chooseBalancer } from "./balancer/lb-config.js";
import type { ResolverFactory } from "./resolver/resolver.js";
import { createDnsResolverFactory } from "./resolver/dns-resolver.js";
import { staticSchemeResolver } from "./resolver/static-resolver.js";
import { checkKeepalive, checkTimeoutOption, type KeepaliveOptions } from "./check-channel-options.js";
import type { Transport } from "./transport.js";
import type { Codec } from "../codec/codec.js";
import { protoCodec } from "../codec/proto-codec.js";
import { checkCodec } from "../codec/check-codec.js";
import { noteChannelCreated } from "../internal/deadline-propagation.js";
import { checkByteLimit, defaultMaxReceiveBytes, defaultReceiveHighWaterMarkBytes, unlimitedBytes } from "../internal/limits.js";
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
  /**
   * Bytes of response messages a call holds for a caller that does not read
   * them as fast as they come (counted inflated, plus 64 per message); past
   * it the stream pauses and HTTP/2 flow control stops the server. A call
   * then holds at most this plus one message, compressed or not. Default
   * 256 KiB (262,144).
   */
  receiveHighWaterMarkBytes?: number;
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
  /**
   * Resolvers for target schemes of your own, by scheme: `{ consul: … }`
   * serves `consul:my-service`. They take precedence over the built-in
   * `dns`, `ipv4`, `ipv6`, `unix` and `unix-abstract`.
   */
  resolvers?: Record<string, ResolverFactory>;
  /** Load-balancing policies of your own, by the name a service config's `loadBalancingConfig` gives them. */
  loadBalancers?: Record<string, LoadBalancerFactory>;
  /**
   * Service config (gRPC's JSON, as an object or text). Its
   * `loadBalancingConfig` chooses the policy: `[{ "round_robin": {} }]`;
   * the default is `pick_first`.
   */
  serviceConfig?: string | { loadBalancingConfig?: Record<string, unknown>[]; [key: string]: unknown };
  /** Client keepalive pings (gRFC A8). Default: none. */
  keepalive?: KeepaliveOptions;
  /** Longest a connection attempt (TCP, TLS and the server's first SETTINGS) may take, in ms. Default 20,000. */
  connectTimeoutMs?: number;
  /** After this long without calls the channel drops its connections and goes IDLE; the next call reconnects. In ms; default 30 minutes. */
  idleTimeoutMs?: number;
}

/**
 * A channel to one target: the HTTP/2 connection(s) that calls share, and
 * what every call on it has in common. It is the `Transport` of the clients
 * created on it (`createClient`); `close` it when done. Creating one does no
 * I/O.
 */
export interface Channel extends Transport {
  readonly target: string;
  /** Closes the connections once calls in flight end; calls waiting for a connection and new calls fail with UNAVAILABLE. */
  close(): void;
  /** The channel's connectivity state: IDLE (nothing started, or quiet for `idleTimeoutMs`), CONNECTING, READY, TRANSIENT_FAILURE, SHUTDOWN. */
  readonly state: ConnectivityState;
  /** Starts connecting if IDLE (calls do this themselves). */
  connect(): void;
  /** Every change of state from now on, until the channel shuts down or the loop breaks. */
  watchState(): AsyncIterable<ConnectivityState>;
  /**
   * Resolves once the channel is READY, connecting if IDLE; rejects with
   * DEADLINE_EXCEEDED at `deadline` (epoch ms or Date), CANCELLED when
   * `signal` aborts, UNAVAILABLE if the channel is closed.
   */
  waitForReady(options?: { deadline?: number | Date; signal?: AbortSignal }): Promise<void>;
  /** The channel's interceptors (`ChannelOptions.interceptors`). */
  readonly interceptors: readonly Interceptor[];
}

const userAgentBase = "tsgrpc-node/0.1.0";

/**
 * A protocol other than gRPC that a channel can speak over its HTTP/2
 * connections (Connect: `createConnectChannel`): the request headers of a
 * call and the wire on its stream; everything else (resolving, balancing,
 * waiting for a connection, call credentials, the call itself) is the
 * channel's. Without one, a channel speaks gRPC. @internal
 */
export interface ChannelProtocol {
  /** The request headers, pseudo-headers included; the channel adds `user-agent` and the call's metadata. */
  requestHeaders(method: DescMethod, path: string, codec: Codec, compression: CompressionName | undefined, deadline: number | undefined): OutgoingHttpHeaders;
  /** The wire of a call on its opened stream. */
  wire(stream: ClientHttp2Stream, method: DescMethod, maxReceiveBytes: number): ClientWire;
}

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
export function createChannelTo(parsed: ChannelTarget, target: string, options: ChannelOptions, protocol?: ChannelProtocol): Channel {
  noteChannelCreated();
  const secure = parsed.tls !== undefined;
  const callCredentials = checkCallCredentials(options.callCredentials, secure, options.allowInsecureCallCredentials, target);
  const connection = new ChannelConnection(parsed, {
    resolver: resolverFor(parsed.name.scheme, options.resolvers),
    balancer: chooseBalancer(loadBalancingConfigOf(options.serviceConfig), options.loadBalancers),
    keepalive: checkKeepalive(options.keepalive),
    connectTimeoutMs: checkTimeoutOption(options.connectTimeoutMs, "connectTimeoutMs", 20_000),
    idleTimeoutMs: checkTimeoutOption(options.idleTimeoutMs, "idleTimeoutMs", 30 * 60_000),
  });
  const defaults = {
    maxReceiveBytes: checkByteLimit(options.maxReceiveBytes, "maxReceiveBytes", defaultMaxReceiveBytes),
    maxSendBytes: checkByteLimit(options.maxSendBytes, "maxSendBytes", unlimitedBytes),
    receiveHighWaterMarkBytes: checkByteLimit(options.receiveHighWaterMarkBytes, "receiveHighWaterMarkBytes", defaultReceiveHighWaterMarkBytes),
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
    let headers: OutgoingHttpHeaders;
    if (protocol) {
      headers = protocol.requestHeaders(method, pathOf(method), defaults.codec, compressionName, deadline);
      headers["user-agent"] = defaults.userAgent;
    } else {
      headers = {
        ":method": "POST",
        ":path": pathOf(method),
        "content-type": contentType,
        te: "trailers",
        "user-agent": defaults.userAgent,
        "grpc-accept-encoding": defaults.acceptEncoding,
      };
      if (deadline !== undefined) headers["grpc-timeout"] = encodeTimeout(deadline - Date.now());
      if (compressionName) headers["grpc-encoding"] = compressionName;
    }
    req.header.writeTo(headers as Record<string, string | string[]>);
    let opened;
    try {
      opened = connection.request(headers, { waitForReady: o.waitForReady === true, deadline, signal: req.signal });
    } catch (e) {
      return Promise.reject(e instanceof RpcError ? e : new RpcError(Code.UNAVAILABLE, (e as Error).message, { cause: e }));
    }
    const start = (stream: ClientHttp2Stream) => {
    const maxReceiveBytes = o.maxReceiveBytes ?? defaults.maxReceiveBytes;
    const wire = protocol ? protocol.wire(stream, method, maxReceiveBytes) : new GrpcClientWire(stream, maxReceiveBytes);
    const clientCall = new ClientCall(wire, {
      output: method.output,
      codec: defaults.codec,
      maxReceiveBytes: o.maxReceiveBytes ?? defaults.maxReceiveBytes,
      receiveHighWaterMarkBytes: defaults.receiveHighWaterMarkBytes,
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
    return opened instanceof Promise ? opened.then(start) : start(opened);
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
    get state() {
      return connection.state;
    },
    connect: () => connection.connect(),
    watchState: () => watchStates(connection),
    waitForReady: (o) => waitUntilReady(connection, o),
  };
}

function resolverFor(scheme: string, custom: Record<string, ResolverFactory> | undefined): ResolverFactory {
  if (custom !== undefined && Object.hasOwn(custom, scheme)) {
    const factory = custom[scheme];
    if (typeof factory !== "function") throw new TypeError(`createChannel: resolvers.${scheme} must be a function`);
    return factory;
  }
  return scheme === "dns" ? dnsResolver : staticSchemeResolver;
}

const dnsResolver = createDnsResolverFactory();

function loadBalancingConfigOf(serviceConfig: ChannelOptions["serviceConfig"]): Record<string, unknown>[] | undefined {
  if (serviceConfig === undefined) return undefined;
  let parsed: unknown = serviceConfig;
  if (typeof serviceConfig === "string") {
    try {
      parsed = JSON.parse(serviceConfig);
    } catch (e) {
      throw new TypeError(`createChannel: serviceConfig is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new TypeError("createChannel: serviceConfig must be an object");
  const list = (parsed as { loadBalancingConfig?: unknown }).loadBalancingConfig;
  if (list === undefined) return undefined;
  if (!Array.isArray(list) || list.some((e) => typeof e !== "object" || e === null || Array.isArray(e))) {
    throw new TypeError("createChannel: serviceConfig.loadBalancingConfig must be a list of { policy: config } objects");
  }
  return list as Record<string, unknown>[];
}

async function* watchStates(connection: ChannelConnection): AsyncGenerator<ConnectivityState> {
  const pending: ConnectivityState[] = [];
  let wake: (() => void) | undefined;
  const stop = connection.watch((state) => {
    pending.push(state);
    wake?.();
  });
  try {
    for (;;) {
      while (pending.length > 0) {
        const state = pending.shift()!;
        yield state;
        if (state === "SHUTDOWN") return;
      }
      if (connection.state === "SHUTDOWN") return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    stop();
  }
}

function waitUntilReady(connection: ChannelConnection, o: { deadline?: number | Date; signal?: AbortSignal } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = o.deadline instanceof Date ? o.deadline.getTime() : o.deadline;
    let timer: NodeJS.Timeout | undefined;
    const done = (error?: RpcError) => {
      stop();
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
      if (error) reject(error);
      else resolve();
    };
    const check = (state: ConnectivityState) => {
      if (state === "READY") done();
      else if (state === "SHUTDOWN") done(new RpcError(Code.UNAVAILABLE, "the channel is closed"));
    };
    const onAbort = () => done(new RpcError(Code.CANCELLED, "waitForReady was cancelled"));
    const stop = connection.watch(check);
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener("abort", onAbort);
    if (deadline !== undefined) {
      timer = setTimeout(() => done(new RpcError(Code.DEADLINE_EXCEEDED, `the channel was not ready by the deadline (state ${connection.state})`)), Math.max(0, Math.min(deadline - Date.now(), 2 ** 31 - 1)));
    }
    connection.connect();
    check(connection.state);
  });
}

export type { UnaryRequest };
