/**
 * tsgrpc for browsers: clients that call gRPC services by gRPC-Web or by the
 * Connect protocol over `fetch`, with the same `createClient` API as
 * Node's channels. Nothing here imports Node modules, so bundlers (esbuild,
 * Vite, webpack) take it as it is.
 *
 * ```ts
 * import { createClient, createGrpcWebTransport, RpcError, Code } from "tsgrpc/web";
 *
 * const users = createClient(UserService, createGrpcWebTransport({ baseUrl: "https://api.example.com" }));
 * const { user } = await users.getUser({ id: "1" }, { timeoutMs: 5000 });
 * for await (const u of users.listUsers({ pageSize: 10 })) console.log(u.name);
 * ```
 *
 * @module
 */
export { createGrpcWebTransport } from "./grpc-web-transport.js";
export type { GrpcWebTransportOptions } from "./grpc-web-transport.js";
export { createConnectTransport } from "./connect-transport.js";
export type { ConnectTransportOptions } from "./connect-transport.js";
export type { FetchTransportOptions } from "./fetch-transport.js";
export { createClient } from "../client/create-client.js";
export type { Client, ClientMethod, ClientOptions } from "../client/create-client.js";
export type { CallOptions } from "../client/call-options.js";
export type { Transport } from "../client/transport.js";
export { Code, codeName } from "../status/code.js";
export { RpcError } from "../status/rpc-error.js";
export type { RpcErrorInit } from "../status/rpc-error.js";
export { createDetail } from "../status/details.js";
export type { Detail } from "../status/details.js";
export { Metadata } from "../metadata/metadata.js";
export type { MetadataInit, MetadataValue } from "../metadata/metadata.js";
export { protoCodec } from "../codec/proto-codec.js";
export { createJsonCodec } from "../codec/json-codec.js";
export type { JsonCodecOptions } from "../codec/json-codec.js";
export type { Codec } from "../codec/codec.js";
export type { Interceptor, CallFn, UnaryRequest, StreamRequest, UnaryResponse, StreamResponse } from "../interceptor.js";
