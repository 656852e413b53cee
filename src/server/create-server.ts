import * as http2 from "node:http2";
import type { DescService } from "@bufbuild/protobuf";
import type { Interceptor } from "../interceptor.js";
import { Code } from "../status/code.js";
import { checkByteLimit, defaultMaxReceiveBytes, defaultReceiveHighWaterMarkBytes, unlimitedBytes } from "../internal/limits.js";
import { checkCompressionName, supportedEncodings, type CompressionName } from "../internal/compression.js";
import { connectionWindowBytes, streamWindowBytes } from "../internal/transport/flow-control-windows.js";
import type { Codec } from "../codec/codec.js";
import { protoCodec } from "../codec/proto-codec.js";
import { checkCodec } from "../codec/check-codec.js";
import { createJsonCodec } from "../codec/json-codec.js";
import type { ServerCall, ServerCallSettings } from "./server-call.js";
import type { HandlerContext } from "./handler-context.js";
import { dispatchHttp2Stream, type ConnectionCheck, type DispatchSettings } from "./http2-dispatch.js";
import { dispatchHttp1Request } from "./http1-dispatch.js";
import { openHttpListener, type HttpListener } from "../internal/transport/http-listener.js";
import { Router } from "./router.js";
import { createCorsPolicy, type CorsOptions } from "./cors.js";
import type { WebProtocolSettings } from "./web-dispatch.js";
import { setServerInternals } from "./server-internals.js";
import { createClientCertificateCheck, secureServerOptions, updateListenerTls, type ServerTlsUpdate } from "./server-tls.js";
import { checkConnectionLimits } from "./request-header-limit.js";
import type { ServiceImpl } from "./service-impl.js";
import { checkRestOptions, type RestOptions } from "./rest-options.js";
import { createOpenApiDocument } from "../transcoding/openapi.js";
import { checkConnectionOptions, type ServerConnectionOptions } from "./connection-options.js";
import { ConnectionManager, trackStream } from "./connection-manager.js";
import { ActiveCalls } from "./active-calls.js";

/**
 * Options of a server, validated once in `createServer`. The connection
 * options (keepalive enforcement, idle and age limits, handshake timeout,
 * concurrent streams) are in `ServerConnectionOptions`.
 */
export interface ServerOptions extends ServerConnectionOptions {
  /** Largest request message accepted, in bytes, after decompression. Default 4 MiB (4,194,304). */
  maxReceiveBytes?: number;
  /** Largest response message sent, in bytes. Default: unlimited. */
  maxSendBytes?: number;
  /**
   * Bytes of request messages a call holds for a handler that does not read
   * them as fast as they come (counted inflated, plus 64 per message); past
   * it the stream pauses and HTTP/2 flow control stops the client. A call
   * then holds at most this plus one message, compressed or not. Default
   * 256 KiB (262,144).
   */
  receiveHighWaterMarkBytes?: number;
  /** Request encodings accepted besides identity. Default `["gzip", "deflate"]`. */
  acceptCompression?: CompressionName[];
  /**
   * Compression of response messages for clients that accept it (their
   * `grpc-accept-encoding`); a handler can still choose per call with
   * `ctx.setResponseCompression`. Default `identity`.
   */
  compression?: "identity" | CompressionName;
  /** Interceptors for every call, outermost first. */
  interceptors?: Interceptor[];
  /**
   * Receives the errors handlers throw that are not `RpcError`s (the client
   * only sees UNKNOWN with a generic message). Default: `console.error`.
   */
  onHandlerError?: (error: unknown, context: HandlerContext) => void;
  /**
   * Largest request header list accepted, in bytes as HTTP/2 counts them
   * (names, values and 32 per field). Advertised as SETTINGS_MAX_HEADER_LIST_SIZE;
   * a larger request is answered RESOURCE_EXHAUSTED or reset with
   * ENHANCE_YOUR_CALM. Default 8 KiB (8,192), at least 1,024.
   */
  maxRequestHeaderBytes?: number;
  /**
   * Lets the tsgrpc client calls a handler makes inherit its deadline and
   * cancellation (`CallOptions.propagate`), through `AsyncLocalStorage`.
   * Default true. It only takes effect once the process has created a
   * channel (before that there is nothing to propagate to, and no cost);
   * false saves the per-promise cost of `AsyncLocalStorage` for good.
   */
  propagateCallContext?: boolean;
  /**
   * The codecs requests may use, by content subtype: `application/grpc` and
   * `application/grpc+proto` are protobuf binary, `application/grpc+json`
   * protobuf JSON. Default `[protoCodec, createJsonCodec()]`; give
   * `createJsonCodec({ registry })` for JSON with `Any` fields, or drop it to
   * refuse JSON. Requests in other content types get HTTP 415.
   */
  codecs?: Codec[];
  /**
   * HTTP/JSON transcoding of the methods' `google.api.http` rules (REST,
   * as grpc-gateway does it, built in): `false` turns it off, `true` or
   * `RestOptions` (OpenAPI document path, JSON registry) on. Default `true`:
   * a rule is written in the `.proto` to be served, and a server whose
   * services have none answers exactly as without it. With it off, non-gRPC
   * requests get 405/415 as before.
   */
  rest?: boolean | RestOptions;
  /**
   * Answers gRPC-Web (gRPC's `doc/PROTOCOL-WEB.md`: `application/grpc-web`,
   * `application/grpc-web-text`, `+proto` and `+json`) on every address,
   * over HTTP/1.1 and HTTP/2, with the same handlers, interceptors and
   * limits as gRPC: browsers and gRPC-Web clients need no proxy. Default
   * true; false answers those requests 415 (405 for other methods), as for
   * any content type the server does not read.
   */
  grpcWeb?: boolean;
  /**
   * Answers the Connect protocol (connectrpc.com/docs/protocol): unary POST
   * (`application/proto`, `application/json`), unary GET for methods marked
   * `idempotency_level = NO_SIDE_EFFECTS`, and streaming
   * (`application/connect+proto`, `+json`), over HTTP/1.1 and HTTP/2
   * (bidirectional streams need HTTP/2). Default true; false answers those
   * requests 415 (405 for GET).
   */
  connect?: boolean;
  /**
   * Lets web pages of other origins call the server by gRPC-Web and Connect
   * (CORS: preflights, allowed and exposed headers). Default: no CORS
   * headers, so browsers only let pages of the server's own origin call it.
   */
  cors?: CorsOptions;
}

/** TLS settings of a listening address. */
export interface ServerTlsOptions {
  /** Private key (PEM). */
  key: string | Buffer;
  /** Certificate chain (PEM). */
  cert: string | Buffer;
  /** CAs that client certificates must chain to (mTLS). */
  ca?: string | Buffer | (string | Buffer)[];
  /** Refuse clients without a valid certificate (mTLS). Default false. */
  requireClientCert?: boolean;
}

/** Where to listen: `host` and `port` (0 picks a free port), or a unix socket `path`; optional TLS. */
export interface ListenOptions {
  host?: string;
  port?: number;
  path?: string;
  tls?: ServerTlsOptions;
}

/** Options of one registered service. */
export interface ServiceOptions {
  /** Interceptors for this service's calls, inside the server's. */
  interceptors?: Interceptor[];
}

/** A gRPC server: register services, listen on one or more addresses, close gracefully. */
export interface Server {
  /** Registers the handlers of `service`; methods left out answer UNIMPLEMENTED. */
  service<S extends DescService>(service: S, impl: ServiceImpl<S>, options?: ServiceOptions): Server;
  /** Starts listening on `"host:port"`, `"unix:/path"` or `ListenOptions`; resolves with the bound address. */
  listen(address: string | ListenOptions): Promise<{ host: string; port: number }>;
  /**
   * Stops accepting connections, sends GOAWAY, lets calls in flight finish
   * for up to `graceMs` (default 10,000 ms), then closes what is left.
   */
  close(options?: { graceMs?: number }): Promise<void>;
  /** The registered services, in registration order (for reflection, health and listings). */
  readonly services: readonly DescService[];
  /**
   * Calls `listener` once, synchronously, when `close()` starts (before
   * connections are told to go away), e.g. to report NOT_SERVING to health
   * checks. Called at once if the server is already closing. Returns a
   * function that removes the listener. A listener that throws is reported
   * to `console.error` and does not stop the shutdown.
   */
  onShutdown(listener: () => void): () => void;
  /**
   * Replaces the key and certificate (and, if given, the client CAs) of
   * every TLS address, for certificate rotation without a restart.
   * Connections made afterwards use them; open ones keep theirs. Throws a
   * `TypeError` (and changes nothing) if the key does not fit the certificate.
   */
  updateTls(tls: ServerTlsUpdate): void;
}

/**
 * Creates a server. No I/O happens until `listen`.
 *
 * ```ts
 * const server = createServer();
 * server.service(UserService, { async getUser(req) { return { user: await db.find(req.id) }; } });
 * const { port } = await server.listen("127.0.0.1:0");
 * ```
 */
export function createServer(options: ServerOptions = {}): Server {
  const router = new Router({ propagateCallContext: options.propagateCallContext });
  const accepted = options.acceptCompression ?? [...supportedEncodings];
  for (const name of accepted) {
    if (!supportedEncodings.includes(name)) throw new TypeError(`createServer: unsupported compression "${name}"`);
  }
  const active = new ActiveCalls<ServerCall>();
  const settings: ServerCallSettings = {
    maxReceiveBytes: checkByteLimit(options.maxReceiveBytes, "maxReceiveBytes", defaultMaxReceiveBytes),
    maxSendBytes: checkByteLimit(options.maxSendBytes, "maxSendBytes", unlimitedBytes),
    receiveHighWaterMarkBytes: checkByteLimit(options.receiveHighWaterMarkBytes, "receiveHighWaterMarkBytes", defaultReceiveHighWaterMarkBytes),
    acceptEncodings: new Set(accepted),
    acceptEncodingHeader: ["identity", ...accepted].join(","),
    responseCompression: checkCompressionName(options.compression, "createServer"),
    active,
    onHandlerError:
      options.onHandlerError ??
      ((error, ctx) => console.error(`tsgrpc: handler of ${ctx.method.parent.typeName}/${ctx.method.name} failed:`, error)),
  };
  const serverInterceptors = options.interceptors ?? [];
  const limits = checkConnectionLimits(options);
  const listeners: HttpListener[] = [];
  const tlsListeners = new Map<HttpListener, ServerTlsOptions>();
  const connections = new ConnectionManager(checkConnectionOptions(options));
  const shutdownListeners = new Set<() => void>();
  let closing = false;

  const dispatch: DispatchSettings = {
    router,
    call: settings,
    grpcWire: { maxReceiveBytes: settings.maxReceiveBytes, acceptEncodingHeader: settings.acceptEncodingHeader },
    codecs: checkCodecs(options.codecs),
    maxRequestHeaderBytes: limits.maxRequestHeaderBytes,
    rest: checkRestOptions(options.rest, settings.maxReceiveBytes, () => JSON.stringify(createOpenApiDocument(router.services()))),
    web: webProtocols(options),
  };

  const onSession = (session: http2.ServerHttp2Session) => {
    session.on("error", noop);
    try {
      session.setLocalWindowSize(connectionWindowBytes);
    } catch {
      // Not yet possible on this session: the default window stays.
    }
    // Timers, keepalive enforcement, idle and age limits; a closing server's GOAWAY.
    connections.add(session);
  };

  const http2Options: http2.SecureServerOptions = {
    settings: {
      initialWindowSize: streamWindowBytes,
      maxHeaderListSize: limits.maxRequestHeaderBytes,
      maxConcurrentStreams: connections.settings.maxConcurrentStreams,
    },
    maxSessionMemory: 64,
  };
  /**
   * An HTTP/2 server that never listens: listeners (and tsgrpc/testing) hand
   * it connections. One per address, so that an mTLS address checks the
   * client certificates of its own connections (`check`).
   */
  const newHttp2Server = (check?: ConnectionCheck) => {
    const h2 = http2.createServer(http2Options);
    h2.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags?: number, rawHeaders?: string[]) => {
      trackStream(stream);
      dispatchHttp2Stream(stream, headers, rawHeaders, dispatch, check);
    });
    h2.on("session", onSession);
    h2.on("sessionError", noop);
    return h2;
  };
  let acceptor: http2.Http2Server | undefined;

  const server: Server = {
    get services() {
      return router.services();
    },
    service(service, impl, serviceOptions) {
      // HTTP rules are checked before anything is registered: a bad rule or a route conflict changes nothing.
      const addRoutes = dispatch.rest && !router.services().some((s) => s.typeName === service.typeName) ? dispatch.rest.routes.prepare(service) : undefined;
      router.add(service, impl as Record<string, unknown>, [...serverInterceptors, ...(serviceOptions?.interceptors ?? [])]);
      addRoutes?.();
      return server;
    },
    async listen(address) {
      if (closing) throw new Error("the server is closed");
      const where = typeof address === "string" ? parseListenAddress(address) : address;
      const check = where.tls?.requireClientCert ? createClientCertificateCheck() : undefined;
      const h2 = newHttp2Server(check);
      const listener = await openHttpListener({
        ...(where.path !== undefined ? { path: where.path } : { host: where.host ?? "127.0.0.1", port: where.port ?? 0 }),
        ...(where.tls ? { tls: secureServerOptions(where.tls) } : {}),
        sniffTimeoutMs: connections.settings.handshakeTimeoutMs,
        http2: h2,
        onHttp1Request: (req, res) => dispatchHttp1Request(req, res, dispatch, check),
      });
      if (closing) {
        await listener.close();
        throw new Error("the server is closed");
      }
      listeners.push(listener);
      if (where.tls) tlsListeners.set(listener, where.tls);
      const a = listener.address;
      return "path" in a ? { host: a.path, port: 0 } : a;
    },
    updateTls(tls) {
      if (tlsListeners.size === 0) throw new TypeError("updateTls: the server has no TLS address");
      for (const [listener, current] of tlsListeners) tlsListeners.set(listener, updateListenerTls(listener, current, tls));
    },
    onShutdown(listener) {
      if (typeof listener !== "function") throw new TypeError("onShutdown: the listener must be a function");
      if (closing) {
        notifyShutdown(listener);
        return noop;
      }
      const once = () => listener();
      shutdownListeners.add(once);
      return () => void shutdownListeners.delete(once);
    },
    async close(closeOptions) {
      const graceMs = closeOptions?.graceMs ?? 10_000;
      const starting = !closing;
      closing = true;
      if (starting) for (const listener of [...shutdownListeners]) notifyShutdown(listener);
      shutdownListeners.clear();
      const stopped = listeners.map((l) => l.close());
      // Graceful GOAWAY (two of them; the second tells the client which streams were not taken).
      connections.shutdown();
      // Connections that came from no listener (tsgrpc/testing) and in-memory calls count too.
      const drained = Promise.all([...stopped, connections.whenEmpty(), active.whenEmpty()]);
      if (!(await settlesWithin(drained, graceMs))) {
        for (const call of active.toArray()) call.abortForShutdown();
        // Let the UNAVAILABLE statuses reach the wire before the sockets go.
        await settlesWithin(connections.whenEmpty(), 50);
      }
      connections.destroyAll();
      for (const l of listeners) l.destroyConnections();
      await Promise.all(stopped);
    },
  };
  setServerInternals(server, {
    router,
    callSettings: settings,
    acceptHttp2: (connection) => {
      if (closing) {
        connection.destroy();
        return;
      }
      (acceptor ??= newHttp2Server()).emit("connection", connection);
    },
    get closing() {
      return closing;
    },
    connectionCounters: connections.counters,
  });
  return server;
}

/** Whether `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function parseListenAddress(address: string): ListenOptions {
  if (address.startsWith("unix:")) return { path: address.replace(/^unix:(\/\/)?/, "") };
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address);
  if (!m) throw new TypeError(`listen: "${address}" is not host:port, [ipv6]:port or unix:/path`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port: Number(m[3]) };
}

function checkCodecs(codecs: Codec[] | undefined): Map<string, Codec> {
  const byName = new Map<string, Codec>();
  for (const codec of codecs ?? [protoCodec, createJsonCodec()]) {
    checkCodec(codec, "createServer");
    if (byName.has(codec.name)) throw new TypeError(`createServer: two codecs named "${codec.name}"`);
    byName.set(codec.name, codec);
  }
  return byName;
}

function notifyShutdown(listener: () => void): void {
  try {
    listener();
  } catch (e) {
    console.error("tsgrpc: a shutdown listener failed:", e);
  }
}

function webProtocols(options: ServerOptions): WebProtocolSettings | undefined {
  for (const name of ["grpcWeb", "connect"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "boolean") throw new TypeError(`createServer: ${name} must be a boolean`);
  }
  const web: WebProtocolSettings = {
    grpcWeb: options.grpcWeb !== false,
    connect: options.connect !== false,
    cors: options.cors === undefined ? undefined : createCorsPolicy(options.cors),
  };
  return web.grpcWeb || web.connect || web.cors ? web : undefined;
}

function noop(): void {}
