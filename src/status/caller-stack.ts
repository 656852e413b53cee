import { RpcError } from "./rpc-error.js";

/**
 * The caller's view of a failed call: its `RpcError`'s stack shows the code
 * that awaited the call, not the event callbacks in which tsgrpc noticed the
 * failure (a status in the trailers, a reset, a timer).
 *
 * grpc-js captures a stack when every call starts ("for call at"), which
 * every successful call pays for. This costs a successful call nothing: it
 * relies on V8's async stack traces. A stack captured while a promise
 * reaction runs lists, after the synchronous frames, every async function
 * awaiting that reaction's promise (directly, or through promises that
 * adopted it): `at async loadUser (app.ts:12:20)`. So a failure reaches the
 * caller through a reaction whose promise the caller awaits, and the error's
 * stack is captured again there: once per failed call (a few microseconds,
 * like making the error), and formatted only if someone reads it.
 *
 * The library frames are replaced, not kept: they are event-loop plumbing
 * that says nothing the message does not, the caller's frames on top are
 * what a reader (or an error tracker grouping by top frame) needs, and
 * keeping both would mean formatting stacks on every failure (measured at
 * about seven times the cost of the capture). The price: when no async
 * function awaits the call
 * (`.then()` callbacks all the way), the stack names no caller and no
 * library frame either. An error is rewritten at most once, so an `RpcError`
 * that fails several calls (an abort reason) keeps the first caller's stack.
 */
const rewritten = new WeakSet<RpcError>();

/**
 * A rejection handler for the promise a client method returns:
 * `call.then(onValue, rethrowWithCallerStack)`. Adds no promise to the
 * call; the capture runs only when the call fails.
 */
export function rethrowWithCallerStack(reason: unknown): never {
  useCallerStack(reason, rethrowWithCallerStack);
  throw reason;
}

/**
 * The rejected promise to give a reader of a response stream, whose
 * pending or next `next()` fails with `error`; the stack is captured when
 * the reader is known to await it. For `AsyncQueue`'s `rejectReader`.
 */
export function rejectWithCallerStack(error: unknown): Promise<never> {
  // The returned promise is usually adopted by the one the reader awaits
  // (a pending `next()` resolved with it, or the first `next()` of a lazy
  // stream): adoption links the two one microtask later, so the capture
  // waits one more microtask; captured earlier it would find no awaiter.
  return Promise.resolve()
    .then(tick)
    .then(function rejectReader(): never {
      useCallerStack(error, rejectReader);
      throw error;
    });
}

function tick(): void {}

function useCallerStack(error: unknown, above: Function): void {
  if (!(error instanceof RpcError) || rewritten.has(error)) return;
  rewritten.add(error);
  // Captured now, formatted only if someone reads `stack`.
  Error.captureStackTrace(error, above);
}
