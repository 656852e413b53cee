import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeBase64, decodeBase64Portable, encodeBase64, encodeBase64Portable } from "./base64.js";

test("property: encodes as Buffer does, and decodes padded, unpadded and URL-safe text", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const std = Buffer.from(bytes).toString("base64");
      assert.equal(encodeBase64(bytes), std);
      assert.equal(encodeBase64(bytes, false), std.replace(/=+$/, ""));
      assert.equal(encodeBase64Portable(bytes), std);
      assert.equal(encodeBase64Portable(bytes, false), std.replace(/=+$/, ""));
      assert.deepEqual(decodeBase64(std), bytes);
      assert.deepEqual(decodeBase64(std.replace(/=+$/, "")), bytes);
      assert.deepEqual(decodeBase64(Buffer.from(bytes).toString("base64url")), bytes);
      assert.deepEqual(decodeBase64Portable(std), bytes);
      assert.deepEqual(decodeBase64Portable(std.replace(/=+$/, "")), bytes);
      assert.deepEqual(decodeBase64Portable(Buffer.from(bytes).toString("base64url")), bytes);
    }),
    { numRuns: 300 },
  );
});

test("text that is not base64 decodes to undefined", () => {
  for (const bad of ["A", "AB*C", "AB===", "é", "AB=C"]) {
    assert.equal(decodeBase64(bad), undefined, bad);
    assert.equal(decodeBase64Portable(bad), undefined, bad);
  }
});
