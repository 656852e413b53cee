import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeConnectTimeout, parseConnectTimeout } from "./connect-timeout.js";

test("connect-timeout-ms: the time left rounded up, never negative; at most 10 digits back", () => {
  const now = Date.now();
  const left = Number(encodeConnectTimeout(now + 1500.2));
  assert.ok(left >= 1400 && left <= 1501, String(left));
  assert.equal(Number.isInteger(left), true);
  assert.equal(encodeConnectTimeout(now - 10), "0");
  assert.equal(parseConnectTimeout(encodeConnectTimeout(now + 5000))! > 0, true);
  assert.equal(parseConnectTimeout("0"), 0);
  assert.equal(parseConnectTimeout("9999999999"), 9_999_999_999);
  for (const bad of [undefined, "", "12345678901", "1.5", "-1", " 1", "soon"]) assert.equal(parseConnectTimeout(bad), undefined, String(bad));
});
