import { test } from "node:test";
import assert from "node:assert/strict";
import type { Address } from "../resolver/resolver.js";
import type { BalancerHelper, BalancerSubchannel, ConnectivityState, Picker } from "./load-balancer.js";
import { createPickFirst } from "./pick-first.js";
import { createRoundRobin } from "./round-robin.js";

/** A subchannel the test moves between states by hand. */
class FakeSubchannel implements BalancerSubchannel {
  state: ConnectivityState = "IDLE";
  lastError: Error | undefined;
  connects = 0;
  readonly #listeners = new Set<(s: ConnectivityState, e: Error | undefined) => void>();
  constructor(readonly address: Address) {}
  connect(): void {
    this.connects++;
    if (this.state === "IDLE") this.set("CONNECTING");
  }
  watch(l: (s: ConnectivityState, e: Error | undefined) => void) {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }
  shutdown(): void {
    this.set("SHUTDOWN");
  }
  set(state: ConnectivityState, error?: Error): void {
    this.state = state;
    if (error) this.lastError = error;
    for (const l of [...this.#listeners]) l(state, error);
  }
}

function harness() {
  const subchannels: FakeSubchannel[] = [];
  const states: ConnectivityState[] = [];
  let picker: Picker | undefined;
  let resolutions = 0;
  const helper: BalancerHelper = {
    createSubchannel(address) {
      const s = new FakeSubchannel(address);
      subchannels.push(s);
      return s;
    },
    updateState(state, p) {
      states.push(state);
      picker = p;
    },
    requestResolution() {
      resolutions++;
    },
  };
  const live = (port: number) => subchannels.filter((s) => "port" in s.address && s.address.port === port && s.state !== "SHUTDOWN").at(-1)!;
  const pickPort = () => {
    const r = picker!.pick();
    return r.type === "complete" ? (r.subchannel.address as { port: number }).port : r.type;
  };
  return { helper, subchannels, states, live, pickPort, picker: () => picker!, resolutions: () => resolutions };
}

const addrs = (...ports: number[]): Address[] => ports.map((port) => ({ host: "127.0.0.1", port }));

test("pick_first: tries addresses one at a time, in order, and sends every call to the first that connects", () => {
  const h = harness();
  const lb = createPickFirst()(h.helper);
  lb.updateAddresses(addrs(1, 2, 3), {});
  assert.equal(h.states.at(-1), "CONNECTING");
  assert.equal(h.pickPort(), "queue");
  assert.deepEqual(h.subchannels.map((s) => s.state), ["CONNECTING", "IDLE", "IDLE"]);
  h.live(1).set("TRANSIENT_FAILURE", new Error("refused 1"));
  assert.deepEqual(h.subchannels.map((s) => s.state), ["TRANSIENT_FAILURE", "CONNECTING", "IDLE"]);
  h.live(2).set("READY");
  assert.equal(h.states.at(-1), "READY");
  assert.deepEqual([h.pickPort(), h.pickPort()], [2, 2]);
  assert.deepEqual(h.subchannels.map((s) => s.state), ["SHUTDOWN", "READY", "SHUTDOWN"], "the others are let go");
});

test("pick_first: all addresses failed → TRANSIENT_FAILURE with the last error, re-resolution, and it keeps trying", () => {
  const h = harness();
  const lb = createPickFirst()(h.helper);
  lb.updateAddresses(addrs(1, 2), {});
  h.live(1).set("TRANSIENT_FAILURE", new Error("refused 1"));
  h.live(2).set("TRANSIENT_FAILURE", new Error("refused 2"));
  assert.equal(h.states.at(-1), "TRANSIENT_FAILURE");
  const r = h.picker().pick();
  assert.equal(r.type, "fail");
  assert.match(r.type === "fail" ? r.error.message : "", /no connection to any of 127\.0\.0\.1:1, 127\.0\.0\.1:2; the last error: refused 2/);
  assert.equal(h.resolutions(), 1);
  // After its backoff a subchannel is IDLE again: it reconnects at once, and the policy stays in TRANSIENT_FAILURE…
  h.live(1).set("IDLE");
  assert.equal(h.live(1).state, "CONNECTING");
  assert.equal(h.states.at(-1), "TRANSIENT_FAILURE", "sticky while reconnecting");
  // …until one connects.
  h.live(1).set("READY");
  assert.equal(h.states.at(-1), "READY");
  assert.equal(h.pickPort(), 1);
});

test("pick_first: losing the chosen connection → IDLE and re-resolution; the next pick starts over from the first address", async () => {
  const h = harness();
  const lb = createPickFirst()(h.helper);
  lb.updateAddresses(addrs(1, 2), {});
  h.live(1).set("READY");
  h.live(1).set("IDLE", new Error("GOAWAY"));
  assert.equal(h.states.at(-1), "IDLE");
  assert.equal(h.resolutions(), 1);
  const before = h.subchannels.length;
  assert.equal(h.pickPort(), "queue");
  await Promise.resolve();
  assert.equal(h.states.at(-1), "CONNECTING");
  assert.equal(h.subchannels.length, before + 2, "fresh subchannels for a new pass");
  assert.equal(h.live(1).state, "CONNECTING");
});

test("pick_first: new addresses that still include the chosen one keep it; without it, a new pass", () => {
  const h = harness();
  const lb = createPickFirst()(h.helper);
  lb.updateAddresses(addrs(1, 2), {});
  h.live(1).set("READY");
  lb.updateAddresses(addrs(3, 1), {});
  assert.equal(h.pickPort(), 1);
  lb.updateAddresses(addrs(4), {});
  assert.equal(h.pickPort(), "queue");
  h.live(4).set("READY");
  assert.equal(h.pickPort(), 4);
});

test("pick_first: shuffleAddressList spreads clients over the addresses (gRFC A62)", () => {
  const firsts = new Set<number>();
  const rng = [0.1, 0.9, 0.5, 0.3, 0.7];
  for (let i = 0; i < rng.length; i++) {
    const h = harness();
    let n = i;
    const lb = createPickFirst(() => rng[n++ % rng.length]!)(h.helper);
    lb.updateAddresses(addrs(1, 2, 3, 4), { shuffleAddressList: true });
    firsts.add((h.subchannels.find((s) => s.state === "CONNECTING")!.address as { port: number }).port);
  }
  assert.ok(firsts.size > 1, `first addresses tried: ${[...firsts]}`);
  const h = harness();
  createPickFirst(() => 0)(h.helper).updateAddresses(addrs(1, 2, 3), {});
  assert.equal((h.subchannels.find((s) => s.state === "CONNECTING")!.address as { port: number }).port, 1, "no shuffling unless asked");
});

test("pick_first: no addresses, or a resolver error before any, fail picks with the reason", () => {
  const h = harness();
  const lb = createPickFirst()(h.helper);
  lb.resolverError(new Error("name resolution failed: ENOTFOUND"));
  const r = h.picker().pick();
  assert.equal(r.type, "fail");
  assert.match(r.type === "fail" ? r.error.message : "", /ENOTFOUND/);
  lb.updateAddresses([], {});
  assert.match((h.picker().pick() as { error: Error }).error.message, /no addresses/);
});

test("round_robin: connects to every address and spreads picks over the READY ones in turn", () => {
  const h = harness();
  const lb = createRoundRobin(() => 0)(h.helper);
  lb.updateAddresses(addrs(1, 2, 3), {});
  assert.deepEqual(h.subchannels.map((s) => s.state), ["CONNECTING", "CONNECTING", "CONNECTING"]);
  assert.equal(h.states.at(-1), "CONNECTING");
  h.live(2).set("READY");
  assert.deepEqual([h.pickPort(), h.pickPort()], [2, 2]);
  h.live(1).set("READY");
  h.live(3).set("READY");
  const picks = Array.from({ length: 6 }, () => h.pickPort());
  assert.deepEqual(picks.sort(), [1, 1, 2, 2, 3, 3]);
});

test("round_robin: a lost connection reconnects at once and leaves the rotation meanwhile", () => {
  const h = harness();
  const lb = createRoundRobin(() => 0)(h.helper);
  lb.updateAddresses(addrs(1, 2), {});
  h.live(1).set("READY");
  h.live(2).set("READY");
  h.live(2).set("IDLE", new Error("GOAWAY"));
  assert.equal(h.live(2).state, "CONNECTING", "reconnecting");
  assert.deepEqual([h.pickPort(), h.pickPort(), h.pickPort()], [1, 1, 1]);
  assert.ok(h.resolutions() >= 1);
});

test("round_robin: sticky TRANSIENT_FAILURE until one address connects again", () => {
  const h = harness();
  const lb = createRoundRobin(() => 0)(h.helper);
  lb.updateAddresses(addrs(1, 2), {});
  h.live(1).set("TRANSIENT_FAILURE", new Error("refused 1"));
  assert.equal(h.states.at(-1), "CONNECTING", "one still connecting");
  h.live(2).set("TRANSIENT_FAILURE", new Error("refused 2"));
  assert.equal(h.states.at(-1), "TRANSIENT_FAILURE");
  h.live(1).set("IDLE");
  assert.equal(h.live(1).state, "CONNECTING");
  assert.equal(h.states.at(-1), "TRANSIENT_FAILURE", "calls keep failing fast while it reconnects");
  h.live(1).set("READY");
  assert.equal(h.states.at(-1), "READY");
});

test("round_robin: an address update keeps the connections to addresses still listed and drops the others", () => {
  const h = harness();
  const lb = createRoundRobin(() => 0)(h.helper);
  lb.updateAddresses(addrs(1, 2), {});
  h.live(1).set("READY");
  h.live(2).set("READY");
  const one = h.live(1);
  const two = h.live(2);
  lb.updateAddresses(addrs(1, 3), {});
  assert.equal(h.live(1), one, "kept");
  assert.equal(two.state, "SHUTDOWN");
  h.live(3).set("READY");
  assert.deepEqual([h.pickPort(), h.pickPort(), h.pickPort(), h.pickPort()].sort(), [1, 1, 3, 3]);
  lb.close();
  assert.ok(h.subchannels.every((s) => s.state === "SHUTDOWN"));
});
