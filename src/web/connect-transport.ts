import type { Transport } from "../client/transport.js";
import { createFetchTransport, type FetchTransportOptions } from "./fetch-transport.js";

/** Options of `createConnectTransport` (over fetch). */
export interface ConnectTransportOptions extends FetchTransportOptions {
  /**
   * Calls unary methods marked `idempotency_level = NO_SIDE_EFFECTS` with
   * HTTP GET (the request in the query), which browsers and CDNs can cache.
   * Default false.
   */
  useHttpGet?: boolean;
}

/**
 * A transport that calls a server by the Connect protocol
 * (connectrpc.com/docs/protocol) over `fetch`: in browsers, and in any
 * runtime with `fetch` (HTTP/1.1 in Node). Unary and server-streaming
 * calls; request streams need `createConnectTransport` from `tsgrpc`, over
 * HTTP/2.
 *
 * ```ts
 * import { createClient, createConnectTransport } from "tsgrpc/web";
 * const users = createClient(UserService, createConnectTransport({ baseUrl: "https://api.example.com" }));
 * ```
 */
export function createConnectTransport(options: ConnectTransportOptions): Transport {
  return createFetchTransport("connect", options, options?.useHttpGet === true, "createConnectTransport");
}
