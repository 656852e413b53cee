/**
 * tsgrpc as users run it: the compiled package (`dist/`, made by
 * `npm run build`, which `npm run bench` runs first), not the TypeScript
 * source. The bench itself runs under tsx, which transforms only
 * TypeScript files: the compiled JavaScript loads untouched, as it does for
 * grpc-js and Connect from node_modules.
 */
export { Code, createChannel, createClient, createServer, createWritableIterable, RpcError } from "../../dist/index.js";
