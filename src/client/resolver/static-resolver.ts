import { isIP } from "node:net";
import type { Address, Resolver, ResolverFactory, ResolverListener, ResolverTarget } from "./resolver.js";

/**
 * The resolver of targets that are their own addresses: `ipv4:`, `ipv6:`,
 * `unix:` and `unix-abstract:`. It reports once; there is nothing to
 * resolve again.
 */
export const staticSchemeResolver: ResolverFactory = (target, listener) => {
  return reportOnce(addressesOfTarget(target), listener);
};

/** A resolver that reports the given addresses once. */
export function reportOnce(addresses: readonly Address[], listener: ResolverListener): Resolver {
  let closed = false;
  queueMicrotask(() => {
    if (!closed) listener.onResult({ addresses });
  });
  return {
    resolveNow() {},
    close() {
      closed = true;
    },
  };
}

/** The addresses written in an `ipv4:`, `ipv6:`, `unix:` or `unix-abstract:` target; throws a TypeError naming what is wrong. */
export function addressesOfTarget(t: ResolverTarget): Address[] {
  switch (t.scheme) {
    case "unix":
      return [{ path: t.endpoint }];
    case "unix-abstract":
      return [{ path: `\0${t.endpoint}` }];
    case "ipv4":
    case "ipv6":
      return t.endpoint.split(",").map((part) => ipAddress(part, t.scheme === "ipv4" ? 4 : 6, t.defaultPort));
    default:
      throw new TypeError(`no static addresses in a "${t.scheme}:" target`);
  }
}

function ipAddress(text: string, family: 4 | 6, defaultPort: number): Address {
  let host = text;
  let portText: string | undefined;
  if (family === 6) {
    if (text.startsWith("[")) ({ host, portText } = splitBracketed(text));
  } else {
    const colon = text.indexOf(":");
    if (colon >= 0) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
  }
  if (isIP(host) !== family) throw new TypeError(`"${host}" is not an IPv${family} address`);
  return { host, port: parsePort(portText, defaultPort, text) };
}

/** `[v6-address]` or `[v6-address]:port`; throws a TypeError naming what is wrong. */
export function splitBracketed(text: string): { host: string; portText: string | undefined } {
  const end = text.indexOf("]");
  if (end < 0) throw new TypeError(`"${text}": unclosed [ in an IPv6 address`);
  const after = text.slice(end + 1);
  if (after !== "" && !after.startsWith(":")) throw new TypeError(`"${text}": expected ":port" after the ]`);
  return { host: text.slice(1, end), portText: after === "" ? undefined : after.slice(1) };
}

export function parsePort(text: string | undefined, defaultPort: number, context: string): number {
  if (text === undefined || text === "") return defaultPort;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new TypeError(`"${context}" has an invalid port`);
  return port;
}
