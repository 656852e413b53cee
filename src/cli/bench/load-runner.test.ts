import { test } from "node:test";
import assert from "node:assert/strict";
import { Code, RpcError } from "../../index.js";
import { runLoad } from "./load-runner.js";
import { benchJson } from "./bench-report.js";

test("every call is counted once: OKs and failures by status, all in the histogram", async () => {
  let n = 0;
  const caller = async () => {
    const i = n++;
    if (i % 4 === 1) throw new RpcError(Code.UNAVAILABLE, "down");
    if (i % 4 === 3) throw new Error("boom");
  };
  const result = await runLoad([caller, caller], { concurrency: 3, total: 20 });
  assert.equal(n, 20);
  assert.equal(result.histogram.count, 20);
  assert.deepEqual(Object.fromEntries(result.statuses), { OK: 10, UNAVAILABLE: 5, UNKNOWN: 5 });
  assert.deepEqual(Object.fromEntries(result.errors), { "UNAVAILABLE: down": 5, "UNKNOWN: boom": 5 });
  const json = benchJson({ target: "t", method: "m", concurrency: 3, connections: 2, rps: undefined, threads: 1 }, result);
  assert.equal(json.count, 20);
  assert.deepEqual(json.statuses, { OK: 10, UNAVAILABLE: 5, UNKNOWN: 5 });
  assert.equal(json.histogram.reduce((sum, b) => sum + b.count, 0), 20);
});

test("a run where every call fails reports no OK", async () => {
  const result = await runLoad([() => Promise.reject(new RpcError(Code.INTERNAL, "no"))], { concurrency: 2, total: 5 });
  assert.equal(result.histogram.count, 5);
  assert.deepEqual(Object.fromEntries(result.statuses), { INTERNAL: 5 });
});
