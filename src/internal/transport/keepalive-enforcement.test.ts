import { test } from "node:test";
import assert from "node:assert/strict";
import { idlePingIntervalMs, maxPingStrikes, PingPolicy } from "./keepalive-enforcement.js";

const minute = 60_000;

test("pings at the permitted interval never strike", () => {
  const p = new PingPolicy({ permitKeepaliveTimeMs: 5 * minute, permitKeepaliveWithoutCalls: false });
  for (let i = 0; i < 10; i++) assert.equal(p.pingReceived(i * 5 * minute, 1), "ok");
  assert.equal(p.strikes, 0);
});

test("the first ping is always fine; the third strike is too many", () => {
  const p = new PingPolicy({ permitKeepaliveTimeMs: 5 * minute, permitKeepaliveWithoutCalls: false });
  assert.equal(p.pingReceived(0, 1), "ok");
  for (let i = 1; i <= maxPingStrikes; i++) assert.equal(p.pingReceived(i * 1000, 1), "strike");
  assert.equal(p.pingReceived(10_000, 1), "too_many_pings");
});

test("every ping moves the reference: a steady pace just under the interval strikes every time (as the C core and grpc-go)", () => {
  const p = new PingPolicy({ permitKeepaliveTimeMs: 1000, permitKeepaliveWithoutCalls: true });
  assert.equal(p.pingReceived(0, 0), "ok");
  assert.equal(p.pingReceived(999, 0), "strike");
  // 1000 after the first ping but 1 after the last: a strike too.
  assert.equal(p.pingReceived(1000, 0), "strike");
  assert.equal(p.pingReceived(1999, 0), "too_many_pings");
  // A client pinging every 700 ms against 1000 is told at its fourth ping.
  const q = new PingPolicy({ permitKeepaliveTimeMs: 1000, permitKeepaliveWithoutCalls: true });
  assert.deepEqual([0, 700, 1400, 2100].map((t) => q.pingReceived(t, 0)), ["ok", "strike", "strike", "too_many_pings"]);
  // A gap of the full interval after a strike is fine again.
  const r = new PingPolicy({ permitKeepaliveTimeMs: 1000, permitKeepaliveWithoutCalls: true });
  assert.deepEqual([0, 500, 1500, 2500].map((t) => r.pingReceived(t, 0)), ["ok", "strike", "ok", "ok"]);
});

test("without calls, pings are held to two hours unless permitted", () => {
  const strict = new PingPolicy({ permitKeepaliveTimeMs: 5 * minute, permitKeepaliveWithoutCalls: false });
  assert.equal(strict.pingReceived(0, 0), "ok");
  assert.equal(strict.pingReceived(10 * minute, 0), "strike");
  assert.equal(strict.pingReceived(10 * minute + idlePingIntervalMs, 0), "ok");
  // With a call in flight the permitted time applies.
  assert.equal(strict.pingReceived(15 * minute + idlePingIntervalMs, 1), "ok");

  const lenient = new PingPolicy({ permitKeepaliveTimeMs: 5 * minute, permitKeepaliveWithoutCalls: true });
  assert.equal(lenient.pingReceived(0, 0), "ok");
  assert.equal(lenient.pingReceived(5 * minute, 0), "ok");
  assert.equal(lenient.pingReceived(6 * minute, 0), "strike");
});

test("HEADERS or DATA sent forgive strikes and let the next ping through (BDP pings)", () => {
  const p = new PingPolicy({ permitKeepaliveTimeMs: 5 * minute, permitKeepaliveWithoutCalls: false });
  assert.equal(p.pingReceived(0, 1), "ok");
  assert.equal(p.pingReceived(1, 1), "strike");
  assert.equal(p.pingReceived(2, 1), "strike");
  for (let t = 3; t < 1000; t++) {
    p.responseSent();
    assert.equal(p.pingReceived(t, 1), "ok");
    assert.equal(p.strikes, 0);
  }
  // Traffic stopped: the interval counts from the last ping that followed traffic.
  assert.equal(p.pingReceived(1000, 1), "strike");
  assert.equal(p.pingReceived(1001, 1), "strike");
  assert.equal(p.pingReceived(1002, 1), "too_many_pings");
});

test("a flood of pings paced under any burst limit is stopped after three", () => {
  const p = new PingPolicy({ permitKeepaliveTimeMs: 5 * minute, permitKeepaliveWithoutCalls: true });
  const verdicts = Array.from({ length: 10 }, (_, i) => p.pingReceived(i * 50, 0));
  assert.equal(verdicts.indexOf("too_many_pings"), 3);
});
