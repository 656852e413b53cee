import type { Interceptor } from "../interceptor.js";
import type { HandlerContext } from "../server/handler-context.js";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";
import { callerKey, type Caller } from "./caller.js";

/** Options of `createBearerAuthInterceptor`. */
export interface BearerAuthInterceptorOptions {
  /**
   * Checks a bearer token and returns the caller it identifies, or
   * undefined to refuse it (UNAUTHENTICATED, "invalid bearer token"). Throw
   * an `RpcError` to refuse with your own code and message; any other
   * exception fails the call as a handler error would (UNKNOWN).
   */
  verify(token: string, context: HandlerContext): Caller | undefined | Promise<Caller | undefined>;
}

/**
 * A server interceptor that requires `authorization: Bearer <token>` on
 * every call, checks the token with `verify`, and hands the caller to the
 * handler as `ctx.values.get(callerKey)`. A missing or refused token fails
 * the call with UNAUTHENTICATED before the handler runs.
 *
 * Register it on the server for all services, or per service to leave
 * others (health checks, say) open.
 *
 * ```ts
 * const auth = createBearerAuthInterceptor({
 *   async verify(token) {
 *     const user = await sessions.find(token);
 *     return user && { id: user.id, claims: { roles: user.roles } };
 *   },
 * });
 * server.service(UserService, impl, { interceptors: [auth] });
 * ```
 */
export function createBearerAuthInterceptor(options: BearerAuthInterceptorOptions): Interceptor {
  const { verify } = options;
  if (typeof verify !== "function") throw new TypeError("createBearerAuthInterceptor: verify must be a function");
  return (next) => async (req) => {
    const ctx = req.context;
    if (req.side !== "server" || !ctx) {
      throw new RpcError(Code.INTERNAL, "createBearerAuthInterceptor is a server interceptor: use createBearerTokenInterceptor on clients");
    }
    const token = bearerToken(req.header.getAll("authorization"));
    const caller = await verify(token, ctx);
    if (!caller) throw new RpcError(Code.UNAUTHENTICATED, "invalid bearer token");
    ctx.values.set(callerKey, caller);
    return next(req);
  };
}

/** The token of the one `authorization: Bearer …` value; UNAUTHENTICATED when there is none or several. @internal */
export function bearerToken(values: readonly unknown[]): string {
  if (values.length === 0) throw new RpcError(Code.UNAUTHENTICATED, "missing credentials: no authorization metadata (expected \"Bearer <token>\")");
  if (values.length > 1) throw new RpcError(Code.UNAUTHENTICATED, "more than one authorization metadata value");
  const value = values[0];
  const m = typeof value === "string" ? /^Bearer +([^ ]+) *$/i.exec(value) : null;
  if (!m) throw new RpcError(Code.UNAUTHENTICATED, "authorization metadata is not a bearer token (expected \"Bearer <token>\")");
  return m[1]!;
}
