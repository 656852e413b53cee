import type { DescMethod } from "@bufbuild/protobuf";
import type { Interceptor } from "../interceptor.js";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";

/** Options of `createBearerTokenInterceptor`. */
export interface BearerTokenInterceptorOptions {
  /**
   * The token, or a function that returns the current one. The function is
   * called for every call, so it is where a token is refreshed (cache it
   * there: it runs on the call's path).
   */
  token: string | ((method: DescMethod) => string | Promise<string>);
}

/**
 * A client interceptor that sends `authorization: Bearer <token>` with
 * every call; the client half of `createBearerAuthInterceptor`.
 *
 * It sends the token whatever the channel, plain text included. To have
 * tsgrpc refuse to send credentials over plain text, pass the same thing as
 * the channel's `callCredentials` instead.
 *
 * ```ts
 * const client = createClient(UserService, channel, {
 *   interceptors: [createBearerTokenInterceptor({ token: () => tokens.current() })],
 * });
 * ```
 */
export function createBearerTokenInterceptor(options: BearerTokenInterceptorOptions): Interceptor {
  const { token } = options;
  if (typeof token !== "string" && typeof token !== "function") {
    throw new TypeError("createBearerTokenInterceptor: token must be a string or a function");
  }
  if (typeof token === "string") checkToken(token);
  return (next) => async (req) => {
    if (req.side !== "client") {
      throw new RpcError(Code.INTERNAL, "createBearerTokenInterceptor is a client interceptor: use createBearerAuthInterceptor on servers");
    }
    const value = typeof token === "string" ? token : checkToken(await token(req.method));
    req.header.set("authorization", `Bearer ${value}`);
    return next(req);
  };
}

function checkToken(token: string): string {
  if (typeof token !== "string" || token.length === 0 || !/^[\x21-\x7e]+$/.test(token)) {
    throw new TypeError("bearer token must be a non-empty string of printable ASCII without spaces");
  }
  return token;
}
