import { Code } from "../../status/code.js";
import { RpcError } from "../../status/rpc-error.js";
import { type Address, describeAddress } from "../resolver/resolver.js";
import type { BalancerHelper, BalancerSubchannel, LoadBalancer, LoadBalancerFactory, Picker } from "./load-balancer.js";
import { fixedPicker } from "./load-balancer.js";

/** `pick_first`'s config in a service config's `loadBalancingConfig`. */
export interface PickFirstConfig {
  /** Shuffle the resolver's addresses before trying them (gRFC A62), to spread clients over servers. */
  readonly shuffleAddressList?: boolean;
}

/**
 * `pick_first`, gRPC's default policy: try the addresses one at a time in
 * order until one connects, then send every call there. When that
 * connection is lost the policy goes IDLE and asks for a fresh resolution;
 * the next call starts over from the first address. While every address
 * fails it stays in TRANSIENT_FAILURE (calls fail fast, `waitForReady`
 * calls wait) and keeps trying, each address after its own backoff.
 */
export function createPickFirst(random: () => number = Math.random): LoadBalancerFactory {
  return (helper) => new PickFirst(helper, random);
}

export const pickFirst: LoadBalancerFactory = createPickFirst();

class PickFirst implements LoadBalancer {
  readonly #helper: BalancerHelper;
  readonly #random: () => number;
  #addresses: readonly Address[] = [];
  #subchannels: BalancerSubchannel[] = [];
  #unwatch: (() => void)[] = [];
  #selected: BalancerSubchannel | undefined;
  /** Index of the subchannel being tried in the first pass over the list; past the end once all failed. */
  #attempt = 0;
  #idle = true;
  #lastError: Error | undefined;
  #closed = false;

  constructor(helper: BalancerHelper, random: () => number) {
    this.#helper = helper;
    this.#random = random;
  }

  updateAddresses(addresses: readonly Address[], config: unknown): void {
    const shuffle = (config as PickFirstConfig | undefined)?.shuffleAddressList === true;
    const list = shuffle ? shuffled(addresses, this.#random) : [...addresses];
    const keep = this.#selected;
    if (keep && list.some((a) => sameAddress(a, keep.address))) {
      this.#addresses = list;
      return; // Still a valid choice: stay on it.
    }
    this.#addresses = list;
    if (list.length === 0) {
      this.#reset();
      this.#lastError = new Error("the resolver returned no addresses");
      this.#publishFailure();
      return;
    }
    this.#startPass();
  }

  resolverError(error: Error): void {
    if (this.#subchannels.length > 0 || this.#selected) return;
    this.#lastError = error;
    this.#publishFailure();
  }

  exitIdle(): void {
    if (!this.#idle || this.#closed) return;
    if (this.#addresses.length > 0) this.#startPass();
    else this.#helper.requestResolution();
  }

  close(): void {
    this.#closed = true;
    this.#reset();
  }

  #reset(): void {
    for (const u of this.#unwatch) u();
    for (const s of this.#subchannels) s.shutdown();
    this.#unwatch = [];
    this.#subchannels = [];
    this.#selected = undefined;
  }

  #startPass(): void {
    this.#reset();
    this.#idle = false;
    this.#attempt = 0;
    this.#subchannels = this.#addresses.map((a) => this.#helper.createSubchannel(a));
    this.#unwatch = this.#subchannels.map((s, i) => s.watch((state, error) => this.#onState(i, s, state, error)));
    this.#helper.updateState("CONNECTING", queuePicker);
    this.#tryNext();
  }

  /** The first pass: connect the addresses one at a time. */
  #tryNext(): void {
    while (this.#attempt < this.#subchannels.length) {
      const s = this.#subchannels[this.#attempt]!;
      if (s.state === "READY") return this.#select(s);
      if (s.state === "IDLE") {
        s.connect();
        return;
      }
      if (s.state === "CONNECTING") return;
      this.#attempt++; // TRANSIENT_FAILURE: its backoff runs; try the next
    }
    // Every address failed once: TRANSIENT_FAILURE until one connects.
    this.#publishFailure();
    this.#helper.requestResolution();
    for (const s of this.#subchannels) s.connect();
  }

  #onState(index: number, s: BalancerSubchannel, state: string, error: Error | undefined): void {
    if (this.#closed || this.#subchannels[index] !== s) return;
    if (error) this.#lastError = error;
    if (this.#selected === s) {
      if (state !== "READY") this.#lostSelected();
      return;
    }
    if (this.#selected) return;
    if (state === "READY") return this.#select(s);
    const firstPass = this.#attempt < this.#subchannels.length;
    if (firstPass) {
      if (index === this.#attempt && state === "TRANSIENT_FAILURE") {
        this.#attempt++;
        this.#tryNext();
      }
      return;
    }
    // After the first pass: each subchannel reconnects when its backoff ends; report each new failure.
    if (state === "IDLE") s.connect();
    else if (state === "TRANSIENT_FAILURE") this.#publishFailure();
  }

  #select(s: BalancerSubchannel): void {
    this.#selected = s;
    this.#subchannels.forEach((other, i) => {
      if (other === s) return;
      this.#unwatch[i]!();
      other.shutdown();
    });
    const index = this.#subchannels.indexOf(s);
    this.#subchannels = [s];
    this.#unwatch = [this.#unwatch[index]!];
    this.#helper.updateState("READY", fixedPicker({ type: "complete", subchannel: s }));
  }

  /** The chosen connection was lost or closed: IDLE, a fresh resolution, and a new pass on the next call. */
  #lostSelected(): void {
    this.#reset();
    this.#idle = true;
    this.#helper.requestResolution();
    this.#helper.updateState("IDLE", { pick: () => (queueMicrotask(() => this.exitIdle()), { type: "queue" }) });
  }

  #publishFailure(): void {
    const tried = this.#addresses.map(describeAddress).join(", ");
    const why = this.#lastError?.message ?? "no connection";
    const error = new RpcError(Code.UNAVAILABLE, this.#addresses.length > 1 ? `no connection to any of ${tried}; the last error: ${why}` : why);
    this.#helper.updateState("TRANSIENT_FAILURE", fixedPicker({ type: "fail", error }));
  }
}

const queuePicker: Picker = fixedPicker({ type: "queue" });

function sameAddress(a: Address, b: Address): boolean {
  return describeAddress(a) === describeAddress(b);
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
