import type { Address, Resolver, ResolverFactory, ResolverListener, ResolverResult, ResolverTarget } from "../client/resolver/resolver.js";

/**
 * A resolver a test drives by hand: pass `factory` in a channel's
 * `resolvers` under a scheme of your own, then report addresses (or errors)
 * whenever the test wants, and see how often the channel asked to resolve
 * again.
 *
 * ```ts
 * const resolver = createManualResolver();
 * const channel = createChannel("test:backends", { insecure: true, resolvers: { test: resolver.factory } });
 * resolver.update([{ host: "127.0.0.1", port: a }, { host: "127.0.0.1", port: b }]);
 * ```
 */
export interface ManualResolver {
  /** The factory to pass in `ChannelOptions.resolvers`. */
  readonly factory: ResolverFactory;
  /** Reports a new set of addresses to every channel using it now, and to channels that start later. */
  update(addresses: readonly Address[], serviceConfig?: unknown): void;
  /** Reports a resolution failure to every channel using it now. */
  fail(error: Error): void;
  /** How many times channels asked to resolve again. */
  readonly resolveNowCount: number;
  /** The target of the last channel that started it. */
  readonly lastTarget: ResolverTarget | undefined;
}

export function createManualResolver(initial?: readonly Address[]): ManualResolver {
  const listeners = new Set<ResolverListener>();
  let last: ResolverResult | undefined = initial ? { addresses: initial } : undefined;
  let resolveNowCount = 0;
  let lastTarget: ResolverTarget | undefined;
  const factory: ResolverFactory = (target, listener) => {
    lastTarget = target;
    listeners.add(listener);
    if (last) {
      const result = last;
      queueMicrotask(() => listeners.has(listener) && listener.onResult(result));
    }
    const resolver: Resolver = {
      resolveNow: () => void resolveNowCount++,
      close: () => void listeners.delete(listener),
    };
    return resolver;
  };
  return {
    factory,
    update(addresses, serviceConfig) {
      last = serviceConfig === undefined ? { addresses } : { addresses, serviceConfig };
      for (const l of [...listeners]) l.onResult(last);
    },
    fail(error) {
      for (const l of [...listeners]) l.onError(error);
    },
    get resolveNowCount() {
      return resolveNowCount;
    },
    get lastTarget() {
      return lastTarget;
    },
  };
}

/** A resolver that always reports the same addresses: `resolvers: { fixed: createStaticResolver([...]) }`. */
export function createStaticResolver(addresses: readonly Address[]): ResolverFactory {
  return (_target, listener) => {
    let closed = false;
    queueMicrotask(() => closed || listener.onResult({ addresses }));
    return {
      resolveNow() {},
      close() {
        closed = true;
      },
    };
  };
}
