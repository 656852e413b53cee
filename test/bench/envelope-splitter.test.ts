// The bench's bounds count and check messages with this splitter: if it
// miscounted, a wrong answer could pass as a fast one.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { createEnvelopeSplitter, frame } from "../../bench/lib/envelope.js";
import { pieces } from "../support/pieces.js";

const messages = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 });

test("every message comes out whole, once, in order, however the stream is cut", () => {
  fc.assert(
    fc.property(messages, fc.array(fc.nat(), { maxLength: 20 }), fc.boolean(), (bodies, points, keep) => {
      const got: { body: Uint8Array | undefined; length: number }[] = [];
      const splitter = createEnvelopeSplitter((body, length) => got.push({ body: body && Uint8Array.from(body), length }), keep);
      for (const chunk of pieces(Buffer.concat(bodies.map(frame)), points)) splitter.push(chunk);
      assert.equal(splitter.pendingBytes, 0);
      assert.deepEqual(
        got.map((g) => g.length),
        bodies.map((b) => b.byteLength),
      );
      if (keep) assert.deepEqual(got.map((g) => g.body), bodies.map((b) => Uint8Array.from(b)));
      else assert.ok(got.every((g) => g.body === undefined));
    }),
  );
});

test("a stream cut inside a message leaves its bytes pending", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }), fc.nat(), (body, point) => {
      const framed = frame(body);
      const keep = 1 + (point % (framed.byteLength - 1));
      const splitter = createEnvelopeSplitter(() => assert.fail("no message is complete"), false);
      for (const chunk of pieces(framed.subarray(0, keep), [point])) splitter.push(chunk);
      assert.equal(splitter.pendingBytes, keep);
    }),
  );
});

test("the compressed flag and a length over 2^31 are read as sent", () => {
  const seen: [number, boolean][] = [];
  const splitter = createEnvelopeSplitter((_b, length, compressed) => seen.push([length, compressed]), false);
  splitter.push(Uint8Array.of(1, 0, 0, 0, 2, 9, 9));
  splitter.push(Uint8Array.of(0, 0x80, 0, 0));
  splitter.push(Uint8Array.of(1));
  assert.deepEqual(seen, [[2, true]]);
  assert.equal(splitter.pendingBytes, 5);
  const big = createEnvelopeSplitter(() => {}, false);
  big.push(Uint8Array.of(0, 0x80, 0, 0, 1, 7));
  assert.equal(big.pendingBytes, 6);
});
