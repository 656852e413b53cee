import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeGrpcMessage, encodeGrpcMessage } from "./percent-encoding.js";

test("round-trips any Unicode text", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme" }), (s) => {
      const wire = encodeGrpcMessage(s);
      assert.match(wire, /^[\x20-\x7e]*$/);
      assert.equal(decodeGrpcMessage(wire), s);
    }),
    { numRuns: 2000 },
  );
  fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => assert.equal(decodeGrpcMessage(encodeGrpcMessage(s)), s)));
});

test("encodes the special status message of the interop suite", () => {
  const text = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n";
  assert.equal(encodeGrpcMessage(text), "%09%0Atest with whitespace%0D%0Aand Unicode BMP %E2%98%BA and non-BMP %F0%9F%98%88%09%0A");
  assert.equal(decodeGrpcMessage(encodeGrpcMessage(text)), text);
});

test("leaves printable ASCII alone and escapes %", () => {
  assert.equal(encodeGrpcMessage("plain text: ok!"), "plain text: ok!");
  assert.equal(encodeGrpcMessage("100%"), "100%25");
});

test("decoding never fails on malformed input", () => {
  assert.equal(decodeGrpcMessage("100%"), "100%");
  assert.equal(decodeGrpcMessage("%zz%4"), "%zz%4");
  assert.equal(decodeGrpcMessage("%FF"), "\uFFFD");
  fc.assert(fc.property(fc.string(), (s) => void decodeGrpcMessage(s)));
});
