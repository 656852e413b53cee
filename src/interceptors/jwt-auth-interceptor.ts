import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWK, type JWTPayload, type JWTVerifyOptions, type CryptoKey } from "jose";
import type { KeyObject } from "node:crypto";
import type { Interceptor } from "../interceptor.js";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";
import { createBearerAuthInterceptor } from "./bearer-auth-interceptor.js";
import type { Caller } from "./caller.js";

/** JWS algorithms a `createJwtAuthInterceptor` may accept. */
export type JwtAlgorithm =
  | "HS256" | "HS384" | "HS512"
  | "RS256" | "RS384" | "RS512"
  | "PS256" | "PS384" | "PS512"
  | "ES256" | "ES384" | "ES512"
  | "EdDSA" | "Ed25519";

/** Options of `createJwtAuthInterceptor`. Give exactly one of `key` and `jwks`. */
export interface JwtAuthInterceptorOptions {
  /**
   * The verification key: the shared secret of HS* algorithms (bytes), or
   * a public key (`KeyObject` from `crypto.createPublicKey(pem)`, a WebCrypto
   * `CryptoKey`, or a public JWK).
   */
  key?: Uint8Array | KeyObject | CryptoKey | JWK;
  /**
   * A JSON Web Key Set: the set itself, or the URL to fetch it from. A
   * fetched set is cached and fetched again when a token names a key id it
   * does not know (at most every 30 s), as `jose`'s `createRemoteJWKSet` does.
   */
  jwks?: JSONWebKeySet | URL;
  /**
   * The algorithms accepted (required). Naming them is what stops a token
   * from choosing how it is checked (the "alg confusion" attacks).
   */
  algorithms: readonly JwtAlgorithm[];
  /** Accepted `aud` values; the token must name one of them. Default: `aud` is not checked. */
  audience?: string | readonly string[];
  /** Accepted `iss` values. Default: `iss` is not checked. */
  issuer?: string | readonly string[];
  /** Clock difference tolerated when checking `exp`, `nbf` and `iat`, in seconds. Default 0. */
  clockToleranceSec?: number;
  /** Claims that must be present besides those checked above, e.g. `["sub", "exp"]`. Default: `["exp"]`. */
  requiredClaims?: readonly string[];
  /** The caller's id from the verified claims. Default: the `sub` claim (an empty string without one). */
  callerId?: (claims: JWTPayload) => string;
  /** Timeout of a JWKS fetch, in milliseconds. Default 5,000. */
  jwksTimeoutMs?: number;
}

/**
 * A server interceptor that requires `authorization: Bearer <JWT>`, verifies
 * the token's signature and claims with `jose`, and hands the claims to the
 * handler as `ctx.values.get(callerKey)` (`{ id: sub, claims }`).
 *
 * A missing, malformed, badly signed, expired or not-yet-valid token, a
 * wrong audience or issuer, or an algorithm not listed fails the call with
 * UNAUTHENTICATED and a message that says which; a key set that cannot be
 * fetched fails it with UNAVAILABLE.
 *
 * ```ts
 * const jwtAuth = createJwtAuthInterceptor({
 *   jwks: new URL("https://issuer.example.com/.well-known/jwks.json"),
 *   algorithms: ["RS256", "ES256"],
 *   issuer: "https://issuer.example.com/",
 *   audience: "users-api",
 *   clockToleranceSec: 30,
 * });
 * const server = createServer({ interceptors: [jwtAuth] });
 * ```
 */
export function createJwtAuthInterceptor(options: JwtAuthInterceptorOptions): Interceptor {
  const { key, jwks } = options;
  if ((key === undefined) === (jwks === undefined)) throw new TypeError("createJwtAuthInterceptor: give exactly one of key and jwks");
  if (!Array.isArray(options.algorithms) || options.algorithms.length === 0) {
    throw new TypeError("createJwtAuthInterceptor: algorithms must name at least one algorithm");
  }
  const tolerance = options.clockToleranceSec ?? 0;
  if (!Number.isFinite(tolerance) || tolerance < 0) throw new TypeError("createJwtAuthInterceptor: clockToleranceSec must be a non-negative number");
  const verifyOptions: JWTVerifyOptions = {
    algorithms: [...options.algorithms],
    clockTolerance: tolerance,
    requiredClaims: [...(options.requiredClaims ?? ["exp"])],
    ...(options.audience !== undefined ? { audience: toList(options.audience) } : {}),
    ...(options.issuer !== undefined ? { issuer: toList(options.issuer) } : {}),
  };
  const callerId = options.callerId ?? ((claims: JWTPayload) => claims.sub ?? "");
  let verify: (token: string) => Promise<{ payload: JWTPayload }>;
  if (key !== undefined) {
    verify = (token) => jwtVerify(token, key, verifyOptions);
  } else if (jwks instanceof URL) {
    const remote = createRemoteJWKSet(jwks, { timeoutDuration: options.jwksTimeoutMs ?? 5000 });
    // Tell "the key set could not be had" (UNAVAILABLE) from "the token is bad".
    const set: typeof remote = Object.assign(async (...args: Parameters<typeof remote>) => {
      try {
        return await remote(...args);
      } catch (e) {
        throw (e as { code?: string }).code === "ERR_JWKS_NO_MATCHING_KEY" ? e : new KeySetUnavailable(e);
      }
    }, remote);
    verify = (token) => jwtVerify(token, set, verifyOptions);
  } else {
    const set = createLocalJWKSet(jwks!);
    verify = (token) => jwtVerify(token, set, verifyOptions);
  }
  return createBearerAuthInterceptor({
    async verify(token): Promise<Caller> {
      let payload: JWTPayload;
      try {
        ({ payload } = await verify(token));
      } catch (e) {
        throw rejection(e);
      }
      return { id: callerId(payload), claims: payload };
    },
  });
}

function toList(v: string | readonly string[]): string | string[] {
  return typeof v === "string" ? v : [...v];
}

/** A clear status for each way a token can fail; `cause` keeps jose's error for server logs. */
function rejection(e: unknown): RpcError {
  const err = e as { code?: string; claim?: string; reason?: string; name?: string };
  const fail = (message: string, code: Code = Code.UNAUTHENTICATED) => new RpcError(code, message, { cause: e });
  switch (err.code) {
    case "ERR_JWT_EXPIRED":
      return fail("invalid token: the token has expired");
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      if (err.reason === "missing") return fail(`invalid token: the "${err.claim}" claim is missing`);
      if (err.claim === "aud") return fail("invalid token: the token is not meant for this audience");
      if (err.claim === "iss") return fail("invalid token: the token's issuer is not trusted");
      if (err.claim === "nbf") return fail("invalid token: the token is not valid yet");
      if (err.claim === "iat") return fail("invalid token: the token's issue time is in the future");
      return fail(`invalid token: the "${err.claim}" claim failed validation`);
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return fail("invalid token: the signature does not verify");
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return fail("invalid token: the token's algorithm is not accepted");
    case "ERR_JOSE_NOT_SUPPORTED":
      return fail("invalid token: the token's algorithm or key type is not supported");
    case "ERR_JWS_INVALID":
    case "ERR_JWT_INVALID":
      return fail("invalid token: the token is not a well-formed JWT");
    case "ERR_JWKS_NO_MATCHING_KEY":
      return fail("invalid token: no key of the key set matches the token");
  }
  if (e instanceof KeySetUnavailable) {
    const timedOut = (e.cause as { code?: string }).code === "ERR_JWKS_TIMEOUT";
    return fail(`could not verify the token: ${timedOut ? "fetching the JSON Web Key Set timed out" : "the JSON Web Key Set could not be fetched"}`, Code.UNAVAILABLE);
  }
  return fail("invalid token: the token could not be verified");
}

/** A remote key set that could not be fetched or read. */
class KeySetUnavailable extends Error {
  constructor(cause: unknown) {
    super("JSON Web Key Set unavailable", { cause });
  }
}
