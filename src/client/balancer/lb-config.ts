import type { LoadBalancerFactory } from "./load-balancer.js";
import { pickFirst } from "./pick-first.js";
import { roundRobin } from "./round-robin.js";

/** The policies every channel knows, by their gRPC names. */
export const builtInBalancers: Readonly<Record<string, LoadBalancerFactory>> = {
  pick_first: pickFirst,
  round_robin: roundRobin,
};

/** A policy and its config, chosen from a service config's `loadBalancingConfig`. */
export interface ChosenBalancer {
  readonly name: string;
  readonly factory: LoadBalancerFactory;
  readonly config: unknown;
}

/**
 * Chooses the first policy of a service config's `loadBalancingConfig`
 * (parsed: name and config) that the channel knows, as gRPC does;
 * `pick_first` when the list is absent. A list naming no known policy is an
 * error (a TypeError naming them).
 */
export function chooseBalancer(
  loadBalancingConfig: readonly { readonly name: string; readonly config: unknown }[] | undefined,
  custom: Readonly<Record<string, LoadBalancerFactory>> | undefined,
): ChosenBalancer {
  if (loadBalancingConfig === undefined || loadBalancingConfig.length === 0) {
    return { name: "pick_first", factory: pickFirst, config: {} };
  }
  const names: string[] = [];
  for (const { name, config } of loadBalancingConfig) {
    names.push(name);
    const factory = (custom && Object.hasOwn(custom, name) ? custom[name] : undefined) ?? (Object.hasOwn(builtInBalancers, name) ? builtInBalancers[name] : undefined);
    if (factory) return { name, factory, config: config ?? {} };
  }
  throw new TypeError(`loadBalancingConfig names no policy this channel knows (${names.join(", ")}); known: ${[...Object.keys(builtInBalancers), ...Object.keys(custom ?? {})].join(", ")}`);
}
