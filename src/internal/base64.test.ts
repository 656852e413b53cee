import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeBase64, encodeBase64 } from "./base64.js";

test("property: encodes as Buffer does, and decodes padded, unpadded and URL-safe text", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const std = Buffer.from(bytes).toString("base64");
      assert.equal(encodeBase64(bytes), std);
      assert.equal(encodeBase64(bytes, false), std.replace(/=+$/, ""));
      assert.deepEqual(decodeBase64(std), bytes);
      assert.deepEqual(decodeBase64(std.replace(/=+$/, "")), bytes);
      assert.deepEqual(decodeBase64(Buffer.from(bytes).toString("base64url")), bytes);
    }),
    { numRuns: 300 },
  );
});

test("text that is not base64 decodes to undefined", () => {
  for (const bad of ["A", "AB*C", "AB===", "é"]) assert.equal(decodeBase64(bad), undefined, bad);
});
