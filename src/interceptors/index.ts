/**
 * Ready-made interceptors: call logging, and bearer-token / JWT
 * authentication with the caller handed to the handler.
 *
 * ```ts
 * import { createServer, createChannel, createClient } from "tsgrpc";
 * import { createLoggingInterceptor, createJwtAuthInterceptor, createBearerTokenInterceptor, callerKey } from "tsgrpc/interceptors";
 *
 * const server = createServer({
 *   interceptors: [
 *     createLoggingInterceptor({ log: (e) => console.log(e.service, e.method, e.status, e.durationMs) }),
 *     createJwtAuthInterceptor({ key: secret, algorithms: ["HS256"], audience: "users-api" }),
 *   ],
 * });
 * server.service(UserService, { async whoAmI(_req, ctx) { return { id: ctx.values.get(callerKey)!.id }; } });
 *
 * const client = createClient(UserService, createChannel(url), {
 *   interceptors: [createBearerTokenInterceptor({ token: () => tokens.current() })],
 * });
 * ```
 *
 * @module
 */
export { createLoggingInterceptor } from "./logging-interceptor.js";
export type { LoggingInterceptorOptions, CallLogEntry } from "./logging-interceptor.js";
export { createBearerTokenInterceptor } from "./bearer-token-interceptor.js";
export type { BearerTokenInterceptorOptions } from "./bearer-token-interceptor.js";
export { createBearerAuthInterceptor } from "./bearer-auth-interceptor.js";
export type { BearerAuthInterceptorOptions } from "./bearer-auth-interceptor.js";
export { createJwtAuthInterceptor } from "./jwt-auth-interceptor.js";
export type { JwtAuthInterceptorOptions, JwtAlgorithm } from "./jwt-auth-interceptor.js";
export { callerKey } from "./caller.js";
export type { Caller } from "./caller.js";
