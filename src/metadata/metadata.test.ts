import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Metadata, metadataFromHeaders } from "./metadata.js";
import { decodeBinaryValues, encodeBinaryValue } from "./binary-header.js";

test("binary values round-trip through unpadded base64", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const text = encodeBinaryValue(bytes);
      assert.ok(!text.endsWith("="));
      assert.deepEqual(decodeBinaryValues(text), [bytes]);
    }),
  );
});

test("padded base64 decodes too, and commas separate values", () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 50 }), { minLength: 1, maxLength: 4 }), (values) => {
      const padded = values.map((v) => Buffer.from(v).toString("base64")).join(",");
      assert.deepEqual(decodeBinaryValues(padded), values);
    }),
  );
});

test("non-base64 binary values are rejected", () => {
  assert.equal(decodeBinaryValues("not base64!"), undefined);
  assert.equal(decodeBinaryValues("a"), undefined);
});

test("keys are validated and lowercased", () => {
  const md = new Metadata({ "X-Custom": "v" });
  assert.equal(md.get("x-custom"), "v");
  for (const bad of ["", "a b", "ключ", "a:b", "a/b"]) assert.throws(() => new Metadata({ [bad]: "v" }), TypeError, bad);
  fc.assert(
    fc.property(fc.string(), (key) => {
      try {
        new Metadata().set(key, key.toLowerCase().endsWith("-bin") ? new Uint8Array() : "v");
        assert.match(key.toLowerCase(), /^[0-9a-z_.-]+$/);
      } catch (e) {
        assert.ok(e instanceof TypeError);
      }
    }),
  );
});

test("ASCII values must be printable; -bin keys take bytes only", () => {
  assert.throws(() => new Metadata({ k: "line\nbreak" }), TypeError);
  assert.throws(() => new Metadata({ k: "é" }), TypeError);
  assert.throws(() => new Metadata({ "k-bin": "text" }), TypeError);
  assert.throws(() => new Metadata({ k: new Uint8Array([1]) }), TypeError);
  assert.doesNotThrow(() => new Metadata({ k: " ~printable~ ", "k-bin": new Uint8Array([0, 255]) }));
});

test("multiple values keep their order", () => {
  const md = new Metadata([
    ["a", "1"],
    ["b", "x"],
    ["a", "2"],
  ]);
  assert.deepEqual(md.getAll("a"), ["1", "2"]);
  assert.deepEqual([...md], [["a", "1"], ["a", "2"], ["b", "x"]]);
});

test("wire headers: reserved keys are dropped, -bin values decoded, bad base64 ignored", () => {
  const md = metadataFromHeaders({
    ":path": "/x",
    "content-type": "application/grpc",
    "grpc-timeout": "1S",
    "x-a": "1",
    "x-b-bin": "AAEC,/w==",
    "x-c-bin": "***",
  });
  assert.deepEqual([...md.keys()], ["x-a", "x-b-bin"]);
  assert.deepEqual(md.getAll("x-b-bin"), [new Uint8Array([0, 1, 2]), new Uint8Array([255])]);
  const headers: Record<string, string | string[]> = {};
  md.writeTo(headers);
  assert.deepEqual(headers, { "x-a": "1", "x-b-bin": ["AAEC", "/w"] });
});
