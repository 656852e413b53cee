import type { RpcError } from "../../status/rpc-error.js";
import type { ConnectivityState } from "../../internal/transport/subchannel.js";
import type { Address } from "../resolver/resolver.js";

export type { ConnectivityState };

/**
 * A subchannel as a balancer sees it: one address and its connection. The
 * balancer decides when it connects and when it is shut down; calls are
 * placed on it by the channel when the picker chooses it.
 */
export interface BalancerSubchannel {
  readonly address: Address;
  readonly state: ConnectivityState;
  /** Why the last connection attempt failed, or the last connection was lost. */
  readonly lastError: Error | undefined;
  /** Starts connecting when IDLE; otherwise nothing. */
  connect(): void;
  /** Calls `listener` on every state change; returns the function that stops it. */
  watch(listener: (state: ConnectivityState, error: Error | undefined) => void): () => void;
  /** Ends it for good (calls in flight on it finish). */
  shutdown(): void;
}

/** Where a call goes: a READY subchannel, or wait for the next picker, or fail now. */
export type PickResult =
  | { readonly type: "complete"; readonly subchannel: BalancerSubchannel }
  | { readonly type: "queue" }
  /** Fails calls that do not wait for ready; `waitForReady` calls queue instead. */
  | { readonly type: "fail"; readonly error: RpcError };

/** Chooses a subchannel for each call, synchronously. A new picker replaces it whenever the balancer's state changes. */
export interface Picker {
  pick(): PickResult;
}

/** What the channel lends its balancer. */
export interface BalancerHelper {
  /** A new, IDLE subchannel to `address`. */
  createSubchannel(address: Address): BalancerSubchannel;
  /** Publishes the balancer's state and the picker calls use from now on. */
  updateState(state: ConnectivityState, picker: Picker): void;
  /** Asks the resolver to look the name up again (connections failed or were closed). */
  requestResolution(): void;
}

/** A load-balancing policy's instance in one channel. */
export interface LoadBalancer {
  /** A new full set of addresses from the resolver, with this policy's config from the service config. */
  updateAddresses(addresses: readonly Address[], config: unknown): void;
  /** The resolver failed; keep using what you have, or fail picks if you have nothing. */
  resolverError(error: Error): void;
  /** A call came while IDLE: start connecting. */
  exitIdle(): void;
  /** Shut every subchannel down. */
  close(): void;
}

/** Makes a balancer for one channel. Passed by name in `ChannelOptions.loadBalancers`. */
export type LoadBalancerFactory = (helper: BalancerHelper) => LoadBalancer;

/** A picker that always answers the same. */
export function fixedPicker(result: PickResult): Picker {
  return { pick: () => result };
}

/** The channel's state from the states of several subchannels, as gRPC aggregates them. */
export function aggregateState(states: Iterable<ConnectivityState>): ConnectivityState {
  let connecting = false;
  let idle = false;
  let any = false;
  for (const s of states) {
    any = true;
    if (s === "READY") return "READY";
    if (s === "CONNECTING") connecting = true;
    else if (s === "IDLE") idle = true;
  }
  if (connecting) return "CONNECTING";
  if (idle) return "IDLE";
  return any ? "TRANSIENT_FAILURE" : "IDLE";
}
