import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { Http2Stream } from "node:http2";
import { test } from "node:test";
import { onStreamClose } from "./stream-close.js";

test("every hook runs once when the stream closes, in the order registered, through one listener", () => {
  const stream = new EventEmitter() as unknown as Http2Stream;
  const seen: string[] = [];
  for (const name of ["manager", "wire", "exchange"]) onStreamClose(stream, { streamClosed: () => seen.push(name) });
  assert.equal(stream.listenerCount("close"), 1);
  assert.deepEqual(seen, []);
  stream.emit("close");
  assert.deepEqual(seen, ["manager", "wire", "exchange"]);
});

test("streams keep their own hooks", () => {
  const a = new EventEmitter() as unknown as Http2Stream;
  const b = new EventEmitter() as unknown as Http2Stream;
  const seen: string[] = [];
  onStreamClose(a, { streamClosed: () => seen.push("a") });
  onStreamClose(b, { streamClosed: () => seen.push("b1") });
  onStreamClose(b, { streamClosed: () => seen.push("b2") });
  b.emit("close");
  assert.deepEqual(seen, ["b1", "b2"]);
  a.emit("close");
  assert.deepEqual(seen, ["b1", "b2", "a"]);
});

test("a closed stream holds none of its hooks", () => {
  const stream = new EventEmitter() as unknown as Http2Stream;
  const hooks = [{ streamClosed() {} }, { streamClosed() {} }];
  for (const hook of hooks) onStreamClose(stream, hook);
  const held = () => Object.getOwnPropertySymbols(stream).flatMap((k) => [(stream as unknown as Record<symbol, unknown>)[k]].flat());
  assert.ok(hooks.every((h) => held().includes(h)));
  stream.emit("close");
  assert.ok(hooks.every((h) => !held().includes(h)));
});
