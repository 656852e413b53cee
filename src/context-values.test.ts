import { test } from "node:test";
import assert from "node:assert/strict";
import { createContextKey, createContextValues } from "./context-values.js";

test("context values: typed get with defaults, set, delete, keys by identity", () => {
  const a = createContextKey<number>(7);
  const b = createContextKey<number>(7);
  const values = createContextValues();
  assert.equal(values.get(a), 7);
  values.set(a, 1);
  assert.equal(values.get(a), 1);
  assert.equal(values.get(b), 7, "another key with the same default is another key");
  values.set(b, undefined as unknown as number).delete(a);
  assert.equal(values.get(a), 7);
  assert.equal(values.get(b), undefined, "an explicitly set undefined is kept");
});
