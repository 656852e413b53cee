import type * as http2 from "node:http2";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";
import { type KeepaliveSettings, Subchannel } from "../internal/transport/subchannel.js";
import type { BalancerHelper, BalancerSubchannel, ConnectivityState, LoadBalancer, Picker } from "./balancer/load-balancer.js";
import { fixedPicker } from "./balancer/load-balancer.js";
import type { ChosenBalancer } from "./balancer/lb-config.js";
import type { Address, Resolver, ResolverFactory } from "./resolver/resolver.js";
import type { ChannelTarget } from "./target.js";
import { HealthCheckedSubchannel } from "./health-checked-subchannel.js";

/** How one call asks for a stream. */
export interface StreamRequestOptions {
  /** Wait through TRANSIENT_FAILURE instead of failing at once. */
  readonly waitForReady?: boolean;
  /** Absolute deadline (epoch ms) for finding a connection. */
  readonly deadline?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface ChannelConnectionSettings {
  readonly resolver: ResolverFactory;
  readonly balancer: ChosenBalancer;
  readonly keepalive: KeepaliveSettings;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** Client-side health checking (gRFC A17): the service the backends are asked about, or undefined for none. */
  readonly healthCheckServiceName?: string | undefined;
  /** Sent by health checks. */
  readonly userAgent: string;
}

interface QueuedPick {
  readonly headers: http2.OutgoingHttpHeaders;
  readonly options: StreamRequestOptions;
  readonly resolve: (stream: http2.ClientHttp2Stream) => void;
  readonly reject: (error: RpcError) => void;
  timer: NodeJS.Timeout | undefined;
  onAbort: (() => void) | undefined;
}

const noPicker: Picker = fixedPicker({ type: "queue" });

/**
 * Everything below a channel's calls: the resolver, the balancer and its
 * subchannels, and the queue of calls waiting for a connection. Calls get a
 * stream synchronously while a connection is READY (the common case) and a
 * promise of one otherwise. Nothing runs until the first call (or
 * `connect`); after `idleTimeoutMs` without calls everything is let go and
 * the channel is IDLE again. No timer of it keeps the process alive, except
 * while calls wait in its queue.
 */
export class ChannelConnection implements BalancerHelper {
  readonly #target: ChannelTarget;
  readonly #settings: ChannelConnectionSettings;
  readonly #queue = new Set<QueuedPick>();
  readonly #watchers = new Set<(state: ConnectivityState) => void>();
  readonly #subchannels = new Set<Subchannel>();
  #state: ConnectivityState = "IDLE";
  #picker: Picker = noPicker;
  #resolver: Resolver | undefined;
  #balancer: LoadBalancer | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #lastUse = 0;
  /** Holds the process open while anything waits on the channel (queued calls, waitForReady, a state watch). */
  #holdOpen: NodeJS.Timeout | undefined;
  #waiters = 0;

  constructor(target: ChannelTarget, settings: ChannelConnectionSettings) {
    this.#target = target;
    this.#settings = settings;
  }

  get state(): ConnectivityState {
    return this.#state;
  }

  /** Opens a stream for one call: at once when a connection is READY, else once one is (or fails the call). */
  request(headers: http2.OutgoingHttpHeaders, options: StreamRequestOptions = {}): http2.ClientHttp2Stream | Promise<http2.ClientHttp2Stream> {
    if (this.#state === "SHUTDOWN") throw new RpcError(Code.UNAVAILABLE, "the channel is closed");
    this.#lastUse = Date.now();
    if (this.#balancer === undefined) this.#exitIdle();
    const stream = this.#tryPick(headers, options);
    if (stream !== undefined) return stream;
    return this.#enqueue(headers, options);
  }

  /** Starts connecting if IDLE. */
  connect(): void {
    if (this.#state === "SHUTDOWN") return;
    this.#lastUse = Date.now();
    if (this.#balancer === undefined) this.#exitIdle();
    else if (this.#state === "IDLE") this.#balancer.exitIdle();
  }

  /**
   * Someone waits on the channel (a queued call, `waitForReady`, a state
   * watch): the process stays alive until the matching `endWait`, as it
   * would for a call in flight. Connections alone never hold it.
   */
  beginWait(): void {
    if (this.#waiters++ === 0) this.#holdOpen = setInterval(() => {}, 1 << 30);
  }

  endWait(): void {
    if (--this.#waiters !== 0) return;
    clearInterval(this.#holdOpen);
    this.#holdOpen = undefined;
  }

  /** Calls `listener` on every change of state; returns the function that stops it. */
  watch(listener: (state: ConnectivityState) => void): () => void {
    this.#watchers.add(listener);
    return () => this.#watchers.delete(listener);
  }

  /** No new calls; queued calls fail; calls in flight finish, then the connections close. */
  close(): void {
    if (this.#state === "SHUTDOWN") return;
    this.#letGo();
    this.#setState("SHUTDOWN");
    const closed = new RpcError(Code.UNAVAILABLE, "the channel was closed");
    for (const q of [...this.#queue]) this.#settle(q, undefined, closed);
    this.#watchers.clear();
  }

  // BalancerHelper

  createSubchannel(address: Address): BalancerSubchannel {
    const t = this.#target;
    const s = this.#settings;
    const subchannel = new Subchannel(address, {
      authority: t.authority,
      tls: t.tls,
      createConnection: t.createConnection,
      connectTimeoutMs: s.connectTimeoutMs,
      keepalive: s.keepalive,
    });
    this.#subchannels.add(subchannel);
    subchannel.watch((state) => {
      if (state === "SHUTDOWN") this.#subchannels.delete(subchannel);
    });
    // pick_first connects to one backend and stays there: gRPC health-checks only under balancers that choose among several.
    if (s.healthCheckServiceName !== undefined && s.balancer.name !== "pick_first") {
      return new HealthCheckedSubchannel(subchannel, s.healthCheckServiceName, s.userAgent);
    }
    return subchannel;
  }

  updateState(state: ConnectivityState, picker: Picker): void {
    if (this.#state === "SHUTDOWN" || this.#balancer === undefined) return;
    this.#picker = picker;
    this.#setState(state);
    if (this.#queue.size === 0) return;
    for (const q of [...this.#queue]) {
      try {
        const stream = this.#tryPick(q.headers, q.options);
        if (stream !== undefined) this.#settle(q, stream, undefined);
      } catch (e) {
        this.#settle(q, undefined, e as RpcError);
      }
    }
  }

  requestResolution(): void {
    this.#resolver?.resolveNow();
  }

  // Internals

  /** A stream now, undefined to wait, or throws the error the call fails with. */
  #tryPick(headers: http2.OutgoingHttpHeaders, options: StreamRequestOptions): http2.ClientHttp2Stream | undefined {
    const result = this.#picker.pick();
    if (result.type === "complete") {
      const picked = result.subchannel;
      const subchannel = picked instanceof HealthCheckedSubchannel ? picked.inner : picked;
      if (!(subchannel instanceof Subchannel)) {
        throw new RpcError(Code.INTERNAL, "the load balancer picked a subchannel it did not get from createSubchannel");
      }
      if (picked.state !== "READY" || subchannel.state !== "READY") return undefined;
      try {
        return subchannel.request(headers);
      } catch {
        return undefined; // lost a moment ago; its state change brings a new picker
      }
    }
    if (result.type === "fail" && !options.waitForReady) {
      throw result.error;
    }
    return undefined;
  }

  #enqueue(headers: http2.OutgoingHttpHeaders, options: StreamRequestOptions): Promise<http2.ClientHttp2Stream> {
    return new Promise((resolve, reject) => {
      const q: QueuedPick = { headers, options, resolve, reject, timer: undefined, onAbort: undefined };
      if (options.deadline !== undefined) {
        const ms = options.deadline - Date.now();
        q.timer = setTimeout(() => this.#settle(q, undefined, this.#waitError(Code.DEADLINE_EXCEEDED, "deadline exceeded")), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
      }
      if (options.signal) {
        q.onAbort = () => this.#settle(q, undefined, this.#waitError(Code.CANCELLED, "call cancelled"));
        options.signal.addEventListener("abort", q.onAbort, { once: true });
      }
      this.#queue.add(q);
      this.beginWait();
    });
  }

  #settle(q: QueuedPick, stream: http2.ClientHttp2Stream | undefined, error: RpcError | undefined): void {
    if (!this.#queue.delete(q)) return;
    clearTimeout(q.timer);
    if (q.onAbort) q.options.signal!.removeEventListener("abort", q.onAbort);
    this.endWait();
    this.#lastUse = Date.now();
    if (stream) q.resolve(stream);
    else q.reject(error!);
  }

  #waitError(code: Code, what: string): RpcError {
    const last = this.#lastError();
    const state = this.#state === "TRANSIENT_FAILURE" ? "no connection" : `state ${this.#state}`;
    return new RpcError(code, `${what} while waiting for a connection to ${this.#describeTarget()} (${state}${last ? `: ${last.message}` : ""})`);
  }

  #lastError(): Error | undefined {
    let last: Error | undefined;
    for (const s of this.#subchannels) last = s.lastError ?? last;
    return last;
  }

  #describeTarget(): string {
    const n = this.#target.name;
    return n.authority ? `${n.scheme}://${n.authority}/${n.endpoint}` : `${n.scheme}:${n.endpoint}`;
  }

  #exitIdle(): void {
    const balancer = this.#settings.balancer.factory(this);
    this.#balancer = balancer;
    this.#setState("CONNECTING");
    const config = this.#settings.balancer.config;
    try {
      this.#resolver = this.#settings.resolver(this.#target.name, {
        onResult: (result) => {
          if (this.#balancer === balancer) balancer.updateAddresses(result.addresses, config);
        },
        onError: (error) => {
          if (this.#balancer === balancer) balancer.resolverError(new Error(`name resolution failed: ${error.message}`, { cause: error }));
        },
      });
    } catch (e) {
      balancer.resolverError(new Error(`name resolution failed: ${(e as Error).message}`, { cause: e }));
    }
    this.#armIdleTimer();
  }

  /** Checks every `idleTimeoutMs` whether calls came; after a quiet period with none in flight, let everything go. */
  #armIdleTimer(): void {
    const ms = this.#settings.idleTimeoutMs;
    if (!Number.isFinite(ms)) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#balancer === undefined) return;
      const quietFor = Date.now() - this.#lastUse;
      const busy = this.#queue.size > 0 || [...this.#subchannels].some((s) => s.activeStreams > 0);
      if (!busy && quietFor >= ms) {
        this.#letGo();
        this.#setState("IDLE");
      } else {
        this.#armIdleTimer();
      }
    }, Math.max(ms - (Date.now() - this.#lastUse), 10));
    this.#idleTimer.unref();
  }

  #letGo(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const balancer = this.#balancer;
    const resolver = this.#resolver;
    this.#balancer = undefined;
    this.#resolver = undefined;
    this.#picker = noPicker;
    resolver?.close();
    balancer?.close();
  }

  #setState(state: ConnectivityState): void {
    if (this.#state === state || this.#state === "SHUTDOWN") return;
    this.#state = state;
    for (const w of [...this.#watchers]) w(state);
  }
}
