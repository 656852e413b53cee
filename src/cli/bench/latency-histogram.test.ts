import { test } from "node:test";
import assert from "node:assert/strict";
import { LatencyHistogram } from "./latency-histogram.js";

test("percentiles within 0.2% of the exact ones, and exact min, max, mean", () => {
  const h = new LatencyHistogram();
  const values: number[] = [];
  for (let i = 1; i <= 100_000; i++) values.push(i * 7 + (i % 13));
  for (const v of values) h.record(v);
  values.sort((a, b) => a - b);
  for (const p of [0.5, 0.9, 0.99, 0.999]) {
    const exact = values[Math.ceil(p * values.length) - 1]!;
    const got = h.percentile(p);
    assert.ok(Math.abs(got - exact) / exact < 0.002, `p${p * 100}: ${got} vs ${exact}`);
  }
  assert.equal(h.min, values[0]);
  assert.equal(h.max, values.at(-1));
  assert.equal(h.percentile(1), h.max);
  assert.equal(Math.round(h.mean), Math.round(values.reduce((a, b) => a + b) / values.length));
  const bins = h.bins(10);
  assert.equal(bins.length, 10);
  assert.equal(bins.reduce((a, b) => a + b.count, 0), 100_000);
});

test("small values are exact; an empty histogram reports zeros", () => {
  const h = new LatencyHistogram();
  assert.equal(h.percentile(0.5), 0);
  assert.deepEqual(h.bins(10), []);
  for (const v of [5, 5, 6, 900]) h.record(v);
  assert.equal(h.percentile(0.5), 5);
  assert.equal(h.percentile(0.75), 6);
  assert.equal(h.percentile(0.99), 900);
});
