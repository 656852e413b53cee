/**
 * Test helpers: transports that run a server's handlers in this process.
 *
 * ```ts
 * import { test } from "node:test";
 * import assert from "node:assert/strict";
 * import { createClient, createServer } from "tsgrpc";
 * import { createInMemoryTransport } from "tsgrpc/testing";
 *
 * test("getUser", async () => {
 *   const server = createServer().service(UserService, { async getUser(req) { return { user: { id: req.id } }; } });
 *   const users = createClient(UserService, createInMemoryTransport(server));
 *   assert.equal((await users.getUser({ id: "1" })).user?.id, "1");
 * });
 * ```
 *
 * @module
 */
export { createInMemoryTransport } from "./in-memory-transport.js";
export type { InMemoryTransportOptions } from "./in-memory-transport.js";
export { createSocketPairTransport } from "./socket-pair-transport.js";
export type { SocketPairTransportOptions } from "./socket-pair-transport.js";
export { createDuplexPair } from "./duplex-pair.js";
export { createManualResolver, createStaticResolver } from "./manual-resolver.js";
export type { ManualResolver } from "./manual-resolver.js";
