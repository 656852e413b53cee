import { createContextKey, type ContextKey } from "../context-values.js";

/** Who is calling, as an auth interceptor established it. */
export interface Caller {
  /** A stable id of the caller: a JWT's `sub`, a user or service account id. */
  readonly id: string;
  /** What the verifier learned about the caller: a JWT's claims, roles, scopes. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/**
 * The caller of a call, set by `createBearerAuthInterceptor` and
 * `createJwtAuthInterceptor`; undefined when no auth interceptor ran.
 *
 * ```ts
 * async getProfile(req, ctx) {
 *   const caller = ctx.values.get(callerKey)!;
 *   return db.profile(caller.id);
 * }
 * ```
 */
export const callerKey: ContextKey<Caller | undefined> = createContextKey<Caller | undefined>(undefined, { description: "caller" });
