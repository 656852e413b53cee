import { AsyncLocalStorage } from "node:async_hooks";
import { setCallScopeLookup, type CallScope } from "./call-scope.js";

export type { CallScope } from "./call-scope.js";

/**
 * The call a handler is serving, for the tsgrpc client calls it makes: they
 * inherit its deadline and cancellation without the handler passing them on
 * (as grpc-go does with `context.Context`, and grpc-java with `Context`).
 *
 * It lives in an `AsyncLocalStorage`. On Node 20 that turns on async hooks
 * for the whole process, which costs on every promise (about 8 % of a small
 * unary call's CPU), so handlers enter it only once the process has created
 * a channel: a server that never calls out has nothing to propagate and
 * never pays. `createServer({ propagateCallContext: false })` turns it off.
 */
const inbound = new AsyncLocalStorage<CallScope>();

let channelsExist = false;
let lookupInstalled = false;

/** Called by `createChannel`: from now on handlers run in their call's context. */
export function noteChannelCreated(): void {
  channelsExist = true;
}

/** Whether handlers should enter their call's context now. */
export function propagationActive(): boolean {
  return channelsExist;
}

/** Runs `fn` (the interceptor chain and the handler) as part of the call of `ctx`. */
export function runInCall<T>(ctx: CallScope, fn: () => T): T {
  if (!lookupInstalled) {
    lookupInstalled = true;
    setCallScopeLookup(() => inbound.getStore());
  }
  return inbound.run(ctx, fn);
}

/**
 * Runs `fn` outside of any call: for long-lived resources (a channel's
 * connection) that a handler happens to create, so that they neither keep
 * that call alive in memory nor run their callbacks as part of it.
 */
export function outsideCall<T>(fn: () => T): T {
  return inbound.exit(fn);
}

/**
 * A response stream whose every step runs as part of the call of `ctx`: an
 * async generator's body runs in whatever context calls `next()`, and that
 * is the server's writer, not the handler.
 */
export function bindToCall<T>(ctx: CallScope, source: AsyncIterable<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const it = inbound.run(ctx, () => source[Symbol.asyncIterator]());
      return {
        next: () => inbound.run(ctx, () => it.next()),
        return: (value?: unknown) => inbound.run(ctx, () => it.return?.(value) ?? Promise.resolve({ done: true as const, value: undefined })),
        throw: (e?: unknown) => inbound.run(ctx, () => it.throw?.(e) ?? Promise.reject(e)),
      };
    },
  };
}
