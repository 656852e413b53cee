import { Code } from "../../status/code.js";
import { RpcError } from "../../status/rpc-error.js";
import { type Address, describeAddress } from "../resolver/resolver.js";
import type { BalancerHelper, BalancerSubchannel, ConnectivityState, LoadBalancer, LoadBalancerFactory, Picker } from "./load-balancer.js";
import { aggregateState, fixedPicker } from "./load-balancer.js";

/**
 * `round_robin`: a connection to every address, and calls spread over the
 * READY ones in turn (from a random start, so that clients do not all begin
 * on the first server). A lost connection is re-established at once, a
 * failed one after its backoff; failures ask the resolver to look again.
 */
export function createRoundRobin(random: () => number = Math.random): LoadBalancerFactory {
  return (helper) => new RoundRobin(helper, random);
}

export const roundRobin: LoadBalancerFactory = createRoundRobin();

interface Entry {
  readonly subchannel: BalancerSubchannel;
  readonly unwatch: () => void;
}

class RoundRobin implements LoadBalancer {
  readonly #helper: BalancerHelper;
  readonly #random: () => number;
  #entries = new Map<string, Entry>();
  #lastError: Error | undefined;
  /** Sticky TRANSIENT_FAILURE: once every address failed, calls fail fast until one connects. */
  #failing = false;
  #closed = false;

  constructor(helper: BalancerHelper, random: () => number) {
    this.#helper = helper;
    this.#random = random;
  }

  updateAddresses(addresses: readonly Address[]): void {
    const next = new Map<string, Entry>();
    for (const address of addresses) {
      const key = describeAddress(address);
      if (next.has(key)) continue;
      const old = this.#entries.get(key);
      if (old) {
        next.set(key, old);
        this.#entries.delete(key);
        continue;
      }
      const subchannel = this.#helper.createSubchannel(address);
      const unwatch = subchannel.watch((state, error) => this.#onState(subchannel, state, error));
      next.set(key, { subchannel, unwatch });
    }
    for (const gone of this.#entries.values()) {
      gone.unwatch();
      gone.subchannel.shutdown();
    }
    this.#entries = next;
    if (next.size === 0) this.#lastError = new Error("the resolver returned no addresses");
    for (const e of next.values()) e.subchannel.connect();
    this.#publish();
  }

  resolverError(error: Error): void {
    if (this.#entries.size > 0) return;
    this.#lastError = error;
    this.#publish();
  }

  exitIdle(): void {
    for (const e of this.#entries.values()) e.subchannel.connect();
  }

  close(): void {
    this.#closed = true;
    for (const e of this.#entries.values()) {
      e.unwatch();
      e.subchannel.shutdown();
    }
    this.#entries.clear();
  }

  #onState(subchannel: BalancerSubchannel, state: ConnectivityState, error: Error | undefined): void {
    if (this.#closed) return;
    if (error) this.#lastError = error;
    if (state === "IDLE") {
      if (error) this.#helper.requestResolution();
      subchannel.connect();
    } else if (state === "TRANSIENT_FAILURE") {
      this.#helper.requestResolution();
    }
    this.#publish();
  }

  #publish(): void {
    const all = [...this.#entries.values()].map((e) => e.subchannel);
    const ready = all.filter((s) => s.state === "READY");
    if (ready.length > 0) {
      this.#failing = false;
      this.#helper.updateState("READY", rotatingPicker(ready, Math.floor(this.#random() * ready.length)));
      return;
    }
    const state = aggregateState(all.map((s) => s.state));
    if (state === "TRANSIENT_FAILURE" || all.length === 0 || this.#failing) {
      this.#failing = true;
      const tried = all.map((s) => describeAddress(s.address)).join(", ");
      const why = this.#lastError?.message ?? "no connection";
      const error = new RpcError(Code.UNAVAILABLE, all.length > 1 ? `no connection to any of ${tried}; the last error: ${why}` : why);
      this.#helper.updateState("TRANSIENT_FAILURE", fixedPicker({ type: "fail", error }));
      return;
    }
    this.#helper.updateState(state === "IDLE" ? "CONNECTING" : state, fixedPicker({ type: "queue" }));
  }
}

function rotatingPicker(ready: BalancerSubchannel[], start: number): Picker {
  let next = start;
  return {
    pick() {
      const subchannel = ready[next]!;
      next = (next + 1) % ready.length;
      return { type: "complete", subchannel };
    },
  };
}
