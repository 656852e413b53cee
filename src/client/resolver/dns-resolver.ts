import { promises as dns } from "node:dns";
import { isIP } from "node:net";
import { Backoff } from "../../internal/backoff.js";
import { outsideCall } from "../../internal/deadline-propagation.js";
import type { Address, Resolver, ResolverFactory, ResolverListener, ResolverTarget } from "./resolver.js";
import { parsePort, reportOnce, splitBracketed } from "./static-resolver.js";

/** Settings of the `dns:` resolver. */
export interface DnsResolverOptions {
  /** Least time between two lookups that the channel asks for, in ms. Default 30,000 (as gRPC's resolvers). */
  readonly minIntervalMs?: number;
}

/**
 * The `dns:` resolver: `dns:///host:port` asks the system resolver (what
 * `getaddrinfo` sees: /etc/hosts, then DNS), `dns://server:port/host:port`
 * asks that DNS server directly for A and AAAA records. An IP literal is
 * used as is. Lookups happen when the channel starts and when it asks again
 * (connections failed or were closed), at most once per `minIntervalMs`;
 * failed lookups are retried with backoff.
 */
export function createDnsResolverFactory(options: DnsResolverOptions = {}): ResolverFactory {
  const minIntervalMs = options.minIntervalMs ?? 30_000;
  return (target, listener) => {
    const { host, port } = splitDnsEndpoint(target);
    if (isIP(host) !== 0) return reportOnce([{ host, port }], listener);
    return new DnsResolver(host, port, target.authority, minIntervalMs, listener);
  };
}

/** The host and port of a `dns:` target's endpoint; throws a TypeError naming what is wrong. */
export function splitDnsEndpoint(t: ResolverTarget): { host: string; port: number } {
  const text = t.endpoint;
  let host: string;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    ({ host, portText } = splitBracketed(text));
  } else {
    const first = text.indexOf(":");
    if (first >= 0 && first === text.lastIndexOf(":")) {
      host = text.slice(0, first);
      portText = text.slice(first + 1);
    } else {
      host = text; // no port, or a bare IPv6 literal
    }
  }
  if (!host) throw new TypeError(`"${text}" names no host`);
  if (isIP(host) === 0 && !/^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/.test(host)) throw new TypeError(`"${host}" is not a host name`);
  return { host, port: parsePort(portText, t.defaultPort, text) };
}

/** Checks a `dns://authority/` DNS server: an IP address with an optional port. */
export function checkDnsAuthority(authority: string): void {
  if (authority === "") return;
  const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(authority) ?? /^([^:]+)(?::(\d{1,5}))?$/.exec(authority);
  if (!m || isIP(m[1]!) === 0 || (m[2] !== undefined && Number(m[2]) > 65535)) {
    throw new TypeError(`DNS server "${authority}" must be an IP address with an optional port (dns://127.0.0.1:53/host)`);
  }
}

class DnsResolver implements Resolver {
  readonly #host: string;
  readonly #port: number;
  readonly #lookup: () => Promise<string[]>;
  readonly #minIntervalMs: number;
  readonly #listener: ResolverListener;
  readonly #backoff = new Backoff();
  #closed = false;
  #running = false;
  #lastStart = -Infinity;
  #timer: NodeJS.Timeout | undefined;
  /** The last lookup failed, so a retry is scheduled anyway. */
  #failing = false;

  constructor(host: string, port: number, server: string, minIntervalMs: number, listener: ResolverListener) {
    this.#host = host;
    this.#port = port;
    this.#minIntervalMs = minIntervalMs;
    this.#listener = listener;
    this.#lookup = server === "" ? () => systemLookup(host) : serverLookup(host, server);
    this.#start();
  }

  resolveNow(): void {
    if (this.#closed || this.#running || this.#timer !== undefined) return;
    const wait = this.#lastStart + this.#minIntervalMs - Date.now();
    if (wait <= 0) this.#start();
    else this.#schedule(wait);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#start();
    }, ms);
    this.#timer.unref();
  }

  #start(): void {
    if (this.#closed) return;
    this.#running = true;
    this.#lastStart = Date.now();
    // Not as part of a handler call that may be starting the channel (deadline-propagation.ts).
    const lookup = outsideCall(() => this.#lookup());
    lookup.then(
      (hosts) => {
        this.#running = false;
        if (this.#closed) return;
        if (hosts.length === 0) return this.#failed(new Error(`DNS found no addresses for "${this.#host}"`));
        this.#failing = false;
        this.#backoff.reset();
        const addresses: Address[] = hosts.map((host) => ({ host, port: this.#port }));
        this.#listener.onResult({ addresses });
      },
      (e: NodeJS.ErrnoException) => {
        this.#running = false;
        if (this.#closed) return;
        this.#failed(new Error(`DNS lookup of "${this.#host}" failed: ${e.code ?? e.message}`, { cause: e }));
      },
    );
  }

  #failed(error: Error): void {
    this.#failing = true;
    this.#listener.onError(error);
    if (this.#failing && this.#timer === undefined) this.#schedule(this.#backoff.next());
  }
}

async function systemLookup(host: string): Promise<string[]> {
  const found = await dns.lookup(host, { all: true, verbatim: true });
  return [...new Set(found.map((a) => a.address))];
}

function serverLookup(host: string, server: string): () => Promise<string[]> {
  const resolver = new dns.Resolver({ timeout: 5000, tries: 2 });
  resolver.setServers([server]);
  return async () => {
    const [v6, v4] = await Promise.allSettled([resolver.resolve6(host), resolver.resolve4(host)]);
    const found = [...(v6.status === "fulfilled" ? v6.value : []), ...(v4.status === "fulfilled" ? v4.value : [])];
    if (found.length === 0 && v4.status === "rejected") throw v4.reason;
    return found;
  };
}
