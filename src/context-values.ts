/**
 * A typed key for a value that travels with one call: an interceptor sets
 * it, the handler reads it. Keys are compared by identity, so two modules
 * can never clash on a name, and `get` returns the key's type.
 *
 * ```ts
 * const tenantKey = createContextKey<string | undefined>(undefined, { description: "tenant" });
 * const tenant: Interceptor = (next) => async (req) => {
 *   req.context?.values.set(tenantKey, req.header.get("x-tenant"));
 *   return next(req);
 * };
 * // in a handler
 * const t = ctx.values.get(tenantKey);
 * ```
 */
export interface ContextKey<T> {
  /** What `get` returns when the value was never set. */
  readonly defaultValue: T;
  /** For debugging only. */
  readonly description: string;
}

/** Creates a context key with a default value. */
export function createContextKey<T>(defaultValue: T, options?: { description?: string }): ContextKey<T> {
  return Object.freeze({ defaultValue, description: options?.description ?? "context key" });
}

/** The values of one call, by key. */
export interface ContextValues {
  /** The value of `key`, or its default. */
  get<T>(key: ContextKey<T>): T;
  set<T>(key: ContextKey<T>, value: T): this;
  /** Forgets the value: `get` returns the default again. */
  delete(key: ContextKey<unknown>): this;
}

/** Creates an empty set of context values. */
export function createContextValues(): ContextValues {
  const map = new Map<ContextKey<unknown>, unknown>();
  return {
    get<T>(key: ContextKey<T>): T {
      return map.has(key) ? (map.get(key) as T) : key.defaultValue;
    },
    set(key, value) {
      map.set(key, value);
      return this;
    },
    delete(key) {
      map.delete(key);
      return this;
    },
  };
}
