import type { DescMethod, Message } from "@bufbuild/protobuf";
import type { ClientHttp2Stream, OutgoingHttpHeaders } from "node:http2";
import type { CallFn, Interceptor, StreamRequest, UnaryRequest } from "../interceptor.js";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";
import { checkCompressionName, findCompression, supportedEncodings, type CompressionName } from "../internal/compression.js";
import { serializeMessage } from "../internal/message-codec.js";
import { refusedBeforeStart } from "./client-call.js";
import { ChannelCall, type ChannelCallShared, type MethodPlan } from "./channel-call.js";
import { GrpcClientWire } from "../internal/transport/grpc-client-wire.js";
import type { ClientWire } from "../internal/transport/client-wire.js";
import type { CallOptions } from "./call-options.js";
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
import { parseServiceConfig, type ServiceConfig } from "./service-config.js";
import { createRetryThrottle } from "./retry-throttle.js";
import { createRetryBufferBudget, StreamReplay, UnaryReplay } from "./request-replay.js";
import { systemClock } from "./retrying-call.js";

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
  /** Client keepalive pings (gRFC A8). Default: none. */
  keepalive?: KeepaliveOptions;
  /** Longest a connection attempt (TCP, TLS and the server's first SETTINGS) may take, in ms. Default 20,000. */
  connectTimeoutMs?: number;
  /** After this long without calls the channel drops its connections and goes IDLE; the next call reconnects. In ms; default 30 minutes. */
  idleTimeoutMs?: number;

  // Service config and retries (gRFC A6).
  /**
   * The service config: per-method timeouts, wait-for-ready, message limits,
   * retry or hedging policies, retry throttling, load balancing
   * (`loadBalancingConfig: [{ round_robin: {} }]`; default `pick_first`) and
   * client-side health checking (`healthCheckConfig: { serviceName }`), as
   * the JSON object of gRPC's `service_config.proto` or its text. Validated here:
   * a bad one throws a `TypeError` naming the field. Default: none (no
   * retries beyond transparent ones, no hedging).
   */
  serviceConfig?: ServiceConfig | string;
  /**
   * Retries and hedging at all: `false` turns off the service config's
   * policies and the transparent retries of calls that no server processed.
   * Default true.
   */
  enableRetries?: boolean;
  /**
   * Bytes of request messages the channel keeps, across all its calls, to
   * replay them on a retry or hedge. A call that does not fit is sent but
   * not retried. Default 16 MiB (16,777,216).
   */
  retryBufferBytes?: number;
  /**
   * Bytes of request messages one call keeps for replay; a request stream
   * that grows past this commits to the attempt in flight. Default 256 KiB
   * (262,144).
   */
  perCallRetryBufferBytes?: number;
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
  /** Every change of state from now on, until the channel shuts down or the loop breaks; waiting for the next one keeps the process alive. */
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

const noOptions: CallOptions = {};

/** gRFC A6's suggested bounds of the request bytes kept for retries: per channel and per call. */
const defaultRetryBufferBytes = 16 * 1024 * 1024;
const defaultPerCallRetryBufferBytes = 256 * 1024;


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
  const serviceConfig = options.serviceConfig === undefined ? undefined : parseServiceConfig(options.serviceConfig);
  const connection = new ChannelConnection(parsed, {
    resolver: resolverFor(parsed.name.scheme, options.resolvers),
    balancer: chooseBalancer(serviceConfig?.loadBalancingConfig, options.loadBalancers),
    keepalive: checkKeepalive(options.keepalive),
    connectTimeoutMs: checkTimeoutOption(options.connectTimeoutMs, "connectTimeoutMs", 20_000),
    idleTimeoutMs: checkTimeoutOption(options.idleTimeoutMs, "idleTimeoutMs", 30 * 60_000),
    healthCheckServiceName: serviceConfig?.healthCheckServiceName,
    userAgent: options.userAgent ? `${options.userAgent} ${userAgentBase}` : userAgentBase,
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

  const retriesOn = options.enableRetries !== false;
  if (options.enableRetries !== undefined && typeof options.enableRetries !== "boolean") throw new TypeError("enableRetries must be a boolean");
  const throttle = createRetryThrottle(retriesOn ? serviceConfig?.retryThrottling : undefined);
  const retryBudget = createRetryBufferBudget(checkByteLimit(options.retryBufferBytes, "retryBufferBytes", defaultRetryBufferBytes));
  const perCallRetryBytes = checkByteLimit(options.perCallRetryBufferBytes, "perCallRetryBufferBytes", defaultPerCallRetryBufferBytes);
  // What each method needs of the channel, worked out on its first call.
  const plans = new WeakMap<DescMethod, MethodPlan>();
  const planOf = (m: DescMethod): MethodPlan => {
    let p = plans.get(m);
    if (p === undefined) {
      const settings = serviceConfig?.methodSettings(m.parent.typeName, m.name);
      p = {
        path: `/${m.parent.typeName}/${m.name}`,
        settings,
        retry: retriesOn ? settings?.retry : undefined,
        hedging: retriesOn ? settings?.hedging : undefined,
        streamingResponse: m.methodKind === "server_streaming" || m.methodKind === "bidi_streaming",
      };
      plans.set(m, p);
    }
    return p;
  };
  // What every call shares. Attempts get their streams from the connection,
  // which picks a subchannel and may wait for one (waitForReady).
  const shared: ChannelCallShared = {
    open: (headers, c) => connection.request(headers, c),
    wire: protocol
      ? (stream, method, maxReceiveBytes) => protocol.wire(stream, method, maxReceiveBytes)
      : (stream, _method, maxReceiveBytes) => new GrpcClientWire(stream, maxReceiveBytes),
    grpcTimeout: protocol === undefined,
    codec: defaults.codec,
    receiveHighWaterMarkBytes: defaults.receiveHighWaterMarkBytes,
    findCompression,
    transparentRetry: retriesOn,
    throttle,
    clock: systemClock,
  };

  const call: CallFn = (req) => {
    const o = req.options ?? noOptions;
    const method = req.method;
    const plan = planOf(method);
    const settings = plan.settings;
    let deadline = req.deadline;
    if (settings?.timeoutMs !== undefined) {
      const d = Date.now() + settings.timeoutMs;
      if (deadline === undefined || d < deadline) deadline = d;
    }
    const refused = refusedBeforeStart(req);
    if (refused) return Promise.reject(refused);
    let maxSendBytes = o.maxSendBytes ?? defaults.maxSendBytes;
    let maxReceiveBytes = o.maxReceiveBytes ?? defaults.maxReceiveBytes;
    if (settings?.maxRequestBytes !== undefined) maxSendBytes = Math.min(maxSendBytes, settings.maxRequestBytes);
    if (settings?.maxResponseBytes !== undefined) maxReceiveBytes = Math.min(maxReceiveBytes, settings.maxResponseBytes);
    let bytes: Uint8Array | undefined;
    if (!req.stream) {
      try {
        bytes = serializeMessage(defaults.codec, method.input, req.message, maxSendBytes);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    const compressionName = o.compression !== undefined ? checkCompressionName(o.compression, "call options") : defaults.compression;
    let headers: OutgoingHttpHeaders;
    if (protocol) {
      headers = protocol.requestHeaders(method, plan.path, defaults.codec, compressionName, deadline);
      headers["user-agent"] = defaults.userAgent;
    } else {
      headers = {
        ":method": "POST",
        ":path": plan.path,
        "content-type": contentType,
        te: "trailers",
        "user-agent": defaults.userAgent,
        "grpc-accept-encoding": defaults.acceptEncoding,
      };
      if (compressionName) headers["grpc-encoding"] = compressionName;
    }
    req.header.writeTo(headers as Record<string, string | string[]>);
    const channelCall = new ChannelCall(shared, plan, req, headers, deadline, maxReceiveBytes, compressionName ? findCompression(compressionName) : undefined);
    if (bytes !== undefined) {
      const policy = plan.retry !== undefined || plan.hedging !== undefined;
      channelCall.request = new UnaryReplay(bytes, policy ? retryBudget : undefined, perCallRetryBytes);
    } else {
      const input = method.input;
      channelCall.request = new StreamReplay(
        (req as StreamRequest).message,
        (m: Message) => serializeMessage(defaults.codec, input, m, maxSendBytes),
        o.compressMessage,
        retryBudget,
        retriesOn ? perCallRetryBytes : 0,
        channelCall,
      );
    }
    return channelCall.start();
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
      // Waiting for the next state keeps the process alive, as a waiting call does.
      connection.beginWait();
      try {
        await new Promise<void>((resolve) => (wake = resolve));
      } finally {
        connection.endWait();
        wake = undefined;
      }
    }
  } finally {
    stop();
  }
}

function waitUntilReady(connection: ChannelConnection, o: { deadline?: number | Date; signal?: AbortSignal } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = o.deadline instanceof Date ? o.deadline.getTime() : o.deadline;
    let timer: NodeJS.Timeout | undefined;
    connection.beginWait();
    const done = (error?: RpcError) => {
      stop();
      clearTimeout(timer);
      connection.endWait();
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
