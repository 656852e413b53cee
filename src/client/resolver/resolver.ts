/**
 * Name resolution: turns the name in a channel's target into addresses the
 * balancer connects to. A resolver is made per channel, from the target's
 * scheme (`dns:`, `ipv4:`, `ipv6:`, `unix:`, `unix-abstract:`, or one passed
 * in `ChannelOptions.resolvers`), and reports to its listener whenever the
 * addresses change, until it is closed.
 */

import type { SubchannelAddress } from "../../internal/transport/subchannel.js";

/** One address to connect to: a TCP host (an IP literal, or a name Node resolves when connecting) and port, or a unix socket path (`\0name` for an abstract one). */
export type Address = SubchannelAddress;

/** What a resolver found. */
export interface ResolverResult {
  /** Every address the name stands for, in the order the resolver prefers. */
  readonly addresses: readonly Address[];
  /** A service config (JSON object or text) that came with the name, if the resolver supports one. */
  readonly serviceConfig?: unknown;
}

/** Where a resolver reports. Calls after `close()` are ignored. */
export interface ResolverListener {
  /** A new full set of addresses (not a delta). */
  onResult(result: ResolverResult): void;
  /** Resolution failed; the channel keeps the last addresses, if it had any, and asks again later. */
  onError(error: Error): void;
}

/** A running resolver of one channel. */
export interface Resolver {
  /** The channel would like fresh results (connections failed): resolve again soon, rate-limited as the resolver sees fit. */
  resolveNow(): void;
  /** Stop: no more reports, no timers. */
  close(): void;
}

/** The parts of a target URI a resolver reads: `scheme://authority/endpoint`. */
export interface ResolverTarget {
  readonly scheme: string;
  /** The URI's authority (for `dns:`, a DNS server), or `""`. */
  readonly authority: string;
  /** The name to resolve: the URI path without its leading `/`. */
  readonly endpoint: string;
  /** The port to use when the endpoint names none (443 with TLS, 80 without). */
  readonly defaultPort: number;
}

/** Makes the resolver of one channel. It may report synchronously or later. */
export type ResolverFactory = (target: ResolverTarget, listener: ResolverListener) => Resolver;

export { describe as describeAddress } from "../../internal/transport/subchannel.js";
