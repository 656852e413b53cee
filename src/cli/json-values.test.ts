import { test } from "node:test";
import assert from "node:assert/strict";
import { JsonValueSplitter } from "./json-values.js";

test("splits concatenated JSON values, across chunks", () => {
  const s = new JsonValueSplitter();
  assert.deepEqual(s.push('{"a":"}{\\"x" '), []);
  assert.deepEqual(s.push('}{"b":[1,{"c":2}]}\n[3]"s" 12 true'), ['{"a":"}{\\"x" }', '{"b":[1,{"c":2}]}', "[3]", '"s"', "12"]);
  assert.deepEqual(s.end(), ["true"]);
  assert.deepEqual(s.push("  \n"), []);
  assert.deepEqual(s.end(), []);
  s.push('{"a":');
  assert.throws(() => s.end(), SyntaxError);
});

test("a value split one character at a time comes out whole", () => {
  const s = new JsonValueSplitter();
  const text = '{"name":"a b","tags":["x","y"]} {"n":1}';
  const out: string[] = [];
  for (const c of text) out.push(...s.push(c));
  assert.deepEqual(out, ['{"name":"a b","tags":["x","y"]}', '{"n":1}']);
});
