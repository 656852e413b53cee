import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeTimeout, parseTimeout } from "./grpc-timeout.js";

test("encodes with at most 8 digits and never shortens the timeout", () => {
  fc.assert(
    fc.property(fc.double({ min: 1e-6, max: 1e12, noNaN: true }), (ms) => {
      const text = encodeTimeout(ms);
      assert.match(text, /^\d{1,8}[HMSmun]$/);
      const back = parseTimeout(text)!;
      assert.ok(back >= ms * (1 - 1e-9), `${text} (${back} ms) is shorter than ${ms} ms`);
    }),
    { numRuns: 2000 },
  );
});

test("picks the finest unit that fits", () => {
  assert.equal(encodeTimeout(1), "1000000n");
  assert.equal(encodeTimeout(5000), "5000000u");
  assert.equal(encodeTimeout(100_000), "100000m");
  assert.equal(encodeTimeout(0.000001), "1n");
  assert.equal(encodeTimeout(0), "0n");
  assert.equal(encodeTimeout(-5), "0n");
});

test("parses every unit", () => {
  assert.equal(parseTimeout("1H"), 3_600_000);
  assert.equal(parseTimeout("2M"), 120_000);
  assert.equal(parseTimeout("3S"), 3000);
  assert.equal(parseTimeout("4m"), 4);
  assert.equal(parseTimeout("5000u"), 5);
  assert.equal(parseTimeout("6000000n"), 6);
  assert.equal(parseTimeout("99999999S"), 99_999_999_000);
});

test("rejects malformed values", () => {
  for (const bad of ["", "1", "S", "123456789S", "1s", "-1S", "1.5S", " 1S", "1S ", "1 S", "0x1S", "1SS"]) {
    assert.equal(parseTimeout(bad), undefined, bad);
  }
  fc.assert(
    fc.property(fc.string(), (s) => {
      const v = parseTimeout(s);
      if (v !== undefined) assert.match(s, /^\d{1,8}[HMSmun]$/);
    }),
  );
});
