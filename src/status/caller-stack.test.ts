import { test } from "node:test";
import assert from "node:assert/strict";
import { setImmediate as nextTurn } from "node:timers/promises";
import { Code } from "./code.js";
import { RpcError } from "./rpc-error.js";
import { rejectWithCallerStack, rethrowWithCallerStack } from "./caller-stack.js";

/** A promise settled later from an event callback, as the transport settles calls. */
function settledLater<T>(): { promise: Promise<T>; resolve: (v: T | Promise<T>) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T | Promise<T>) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail("no rejection");
}

test("rethrowWithCallerStack: the awaiting async functions replace the frames where the error was made", async () => {
  const call = settledLater<string>();
  const error = new RpcError(Code.NOT_FOUND, "gone");
  async function theCaller(): Promise<unknown> {
    return await call.promise.then(undefined, rethrowWithCallerStack);
  }
  const pending = caught(theCaller());
  setImmediate(() => call.reject(error));
  assert.equal(await pending, error);
  assert.ok(error.stack!.startsWith("RpcError: [NOT_FOUND] gone\n"));
  assert.match(error.stack!, /^ {4}at async theCaller \(/m);
  assert.doesNotMatch(error.stack!, /caller-stack\.ts/, "a frame of the library itself");
});

test("rethrowWithCallerStack: other errors pass untouched; an RpcError is rewritten once", async () => {
  const plain = new Error("not ours");
  const before = plain.stack;
  assert.equal(await caught(Promise.reject(plain).then(undefined, rethrowWithCallerStack)), plain);
  assert.equal(plain.stack, before);

  const shared = new RpcError(Code.CANCELLED, "shared");
  async function first(): Promise<void> {
    await Promise.reject(shared).then(undefined, rethrowWithCallerStack);
  }
  async function second(): Promise<void> {
    await Promise.reject(shared).then(undefined, rethrowWithCallerStack);
  }
  await caught(first());
  const afterFirst = shared.stack;
  await caught(second());
  assert.equal(shared.stack, afterFirst);
  assert.match(afterFirst!, /at async first /);
});

test("rejectWithCallerStack: through a pending promise that adopts it, and through a lazy first next()", async () => {
  const error = new RpcError(Code.ABORTED, "later");
  const pending = settledLater<number>();
  async function theReader(): Promise<unknown> {
    // A lazy stream's first next(): the reader awaits a promise that adopts the pending one.
    return await Promise.resolve().then(() => pending.promise);
  }
  const result = caught(theReader());
  await nextTurn();
  pending.resolve(rejectWithCallerStack(error));
  assert.equal(await result, error);
  assert.ok(error.stack!.startsWith("RpcError: [ABORTED] later\n"));
  assert.match(error.stack!, /^ {4}at async theReader \(/m);
  assert.doesNotMatch(error.stack!, /caller-stack\.ts/, "a frame of the library itself");

  const ended = new RpcError(Code.ABORTED, "already");
  async function readsAfterTheEnd(): Promise<unknown> {
    return await rejectWithCallerStack(ended);
  }
  assert.equal(await caught(readsAfterTheEnd()), ended);
  assert.match(ended.stack!, /^ {4}at async readsAfterTheEnd \(/m);
});
