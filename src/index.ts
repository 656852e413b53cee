/**
 * tsgrpc: gRPC for TypeScript on Node.js, from HTTP/2 up.
 *
 * ```ts
 * import { createServer, createChannel, createClient, RpcError, Code } from "tsgrpc";
 *
 * const server = createServer();
 * server.service(UserService, { async getUser(req) { return { user: { id: req.id } }; } });
 * const { port } = await server.listen("127.0.0.1:0");
 *
 * const users = createClient(UserService, createChannel(`http://127.0.0.1:${port}`));
 * const { user } = await users.getUser({ id: "123" }, { timeoutMs: 5000 });
 * ```
 *
 * @module
 */

// For users.
export { createServer } from "./server/create-server.js";
export type { Server, ServerOptions, ServerTlsOptions, ListenOptions, ServiceOptions } from "./server/create-server.js";
export type { ServerTlsUpdate } from "./server/server-tls.js";
export type { RestOptions } from "./server/rest-options.js";
export type { HandlerContext } from "./server/handler-context.js";
export { createContextKey } from "./context-values.js";
export type { ContextKey, ContextValues } from "./context-values.js";
export type { PeerTlsInfo, PeerCertificate } from "./credentials/peer-tls.js";
export type { ServiceImpl, MethodImpl } from "./server/service-impl.js";
export { createChannel } from "./client/channel.js";
export type { Transport } from "./client/transport.js";
export type { Channel, ChannelOptions, ChannelTlsOptions } from "./client/channel.js";
export type { KeepaliveOptions } from "./client/check-channel-options.js";
export type { Address, Resolver, ResolverFactory, ResolverListener, ResolverResult, ResolverTarget } from "./client/resolver/resolver.js";
export { createDnsResolverFactory } from "./client/resolver/dns-resolver.js";
export type { DnsResolverOptions } from "./client/resolver/dns-resolver.js";
export type {
  BalancerHelper,
  BalancerSubchannel,
  ConnectivityState,
  LoadBalancer,
  LoadBalancerFactory,
  Picker,
  PickResult,
} from "./client/balancer/load-balancer.js";
export { pickFirst } from "./client/balancer/pick-first.js";
export { roundRobin } from "./client/balancer/round-robin.js";
export { createConnectChannel } from "./client/connect-channel.js";
export type { ConnectChannelOptions } from "./client/connect-channel.js";
export type { CorsOptions } from "./server/cors.js";
export type { ServiceConfig, MethodConfig, RetryPolicy, HedgingPolicy } from "./client/service-config.js";
export { createClient } from "./client/create-client.js";
export type { Client, ClientMethod, ClientOptions } from "./client/create-client.js";
export type { CallOptions } from "./client/call-options.js";
export type { CallCredentials, CallCredentialsContext } from "./credentials/call-credentials.js";
export { Code, codeName } from "./status/code.js";
export { RpcError } from "./status/rpc-error.js";
export type { RpcErrorInit } from "./status/rpc-error.js";
export { createDetail } from "./status/details.js";
export type { Detail } from "./status/details.js";
export { Metadata } from "./metadata/metadata.js";
export type { MetadataInit, MetadataValue, MetadataValueOf } from "./metadata/metadata.js";
export { createWritableIterable } from "./writable-iterable.js";
export { protoCodec } from "./codec/proto-codec.js";
export { createJsonCodec } from "./codec/json-codec.js";
export type { JsonCodecOptions } from "./codec/json-codec.js";
export type { Codec } from "./codec/codec.js";
export type { WritableIterable } from "./writable-iterable.js";

// For library authors: the interceptor model.
export type { Interceptor, CallFn, UnaryRequest, StreamRequest, UnaryResponse, StreamResponse } from "./interceptor.js";
