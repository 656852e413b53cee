import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ActiveCalls, type ActiveLinks } from "./active-calls.js";

interface Call extends ActiveLinks {
  id: number;
}

const call = (id: number): Call => ({ id, activePrev: undefined, activeNext: undefined });

test("ActiveCalls: removing from the head, middle and tail keeps the others, newest first; removing twice or a stranger is a no-op", () => {
  const calls = new ActiveCalls<Call>();
  const [a, b, c, d] = [call(1), call(2), call(3), call(4)];
  for (const x of [a, b, c, d]) calls.add(x);
  assert.deepEqual(calls.toArray().map((x) => x.id), [4, 3, 2, 1]);
  assert.equal(calls.delete(c), true);
  assert.equal(calls.delete(c), false);
  assert.equal(calls.delete(call(9)), false);
  assert.equal(calls.delete(d), true);
  assert.equal(calls.delete(a), true);
  assert.deepEqual(calls.toArray().map((x) => x.id), [2]);
  assert.equal(calls.size, 1);
});

test("ActiveCalls: whenEmpty resolves at once when empty, else when the last call goes", async () => {
  const calls = new ActiveCalls<Call>();
  await calls.whenEmpty();
  const a = call(1);
  const b = call(2);
  calls.add(a);
  calls.add(b);
  let empty = false;
  const waiting = calls.whenEmpty().then(() => (empty = true));
  calls.delete(b);
  await Promise.resolve();
  assert.equal(empty, false);
  calls.delete(a);
  await waiting;
  assert.equal(empty, true);
});

test("ActiveCalls: any sequence of adds and deletes matches a Set", () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 7 })), { maxLength: 60 }), (ops) => {
      const pool = Array.from({ length: 8 }, (_, i) => call(i));
      const calls = new ActiveCalls<Call>();
      const model = new Set<Call>();
      for (const [add, i] of ops) {
        const x = pool[i]!;
        if (add && !model.has(x)) {
          calls.add(x);
          model.add(x);
        } else if (!add) {
          assert.equal(calls.delete(x), model.delete(x));
        }
        assert.equal(calls.size, model.size);
        assert.deepEqual(new Set(calls.toArray()), model);
      }
    }),
  );
});
