import type { Transport } from "../client/transport.js";
import { createFetchTransport, type FetchTransportOptions } from "./fetch-transport.js";

/** Options of `createGrpcWebTransport`. */
export type GrpcWebTransportOptions = FetchTransportOptions;

/**
 * A transport that calls a server by gRPC-Web (gRPC's `doc/PROTOCOL-WEB.md`,
 * binary mode) over `fetch`: for browsers, where gRPC itself cannot go.
 * Unary and server-streaming calls; request streams need HTTP/2 and a
 * channel. A tsgrpc server answers gRPC-Web without a proxy; so do Envoy
 * and Connect servers.
 *
 * ```ts
 * import { createClient, createGrpcWebTransport } from "tsgrpc/web";
 * const users = createClient(UserService, createGrpcWebTransport({ baseUrl: "https://api.example.com" }));
 * const { user } = await users.getUser({ id: "1" }, { timeoutMs: 5000 });
 * ```
 */
export function createGrpcWebTransport(options: GrpcWebTransportOptions): Transport {
  return createFetchTransport("grpc-web", options, false, "createGrpcWebTransport");
}
