/**
 * Every core: one port served by several worker processes (`node:cluster`),
 * with a graceful shutdown of all of them.
 *
 * ```ts
 * import { serveClustered } from "tsgrpc/cluster";
 *
 * await serveClustered({
 *   workers: 4,
 *   start: async () => {
 *     const server = createServer().service(UserService, users);
 *     await server.listen("0.0.0.0:50051");
 *     return server;
 *   },
 * });
 * ```
 *
 * @module
 */
export { serveClustered } from "./serve-clustered.js";
export type { ClusterWorkerServer, ServeClusteredOptions } from "./serve-clustered.js";
