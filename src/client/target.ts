import { isIP } from "node:net";
import type { Duplex } from "node:stream";
import type { ConnectionOptions as TlsConnectionOptions } from "node:tls";
import type { ChannelOptions } from "./channel.js";
import type { ResolverFactory, ResolverTarget } from "./resolver/resolver.js";
import { checkDnsAuthority, splitDnsEndpoint } from "./resolver/dns-resolver.js";
import { addressesOfTarget } from "./resolver/static-resolver.js";

/** A channel's target, read and checked: what to resolve, and how to talk to what it resolves to. */
export interface ChannelTarget {
  /** The name to resolve, as a URI's parts. */
  readonly name: ResolverTarget;
  /** Sent as `:authority` (and checked against the server's certificate, unless `serverName`). */
  readonly authority: string;
  /** TLS settings for every connection, or undefined for plain-text HTTP/2 (h2c). */
  readonly tls?: TlsConnectionOptions;
  /** Makes each connection instead of a socket to the address (an in-process pair, in tests). */
  readonly createConnection?: () => Duplex;
}

const builtInSchemes = new Set(["dns", "ipv4", "ipv6", "unix", "unix-abstract"]);

/**
 * Reads a channel target as gRPC names them (doc/naming.md), plus
 * `http://` and `https://` for a host and port:
 *
 * - `dns:///host:port`, `dns://server/host:port`, or a bare `host:port`
 * - `ipv4:1.2.3.4:50051,1.2.3.5`, `ipv6:[::1]:50051,::2`
 * - `unix:relative/or/absolute`, `unix:///absolute`, `unix-abstract:name`
 * - `scheme:…` for a resolver passed in `options.resolvers`
 *
 * It decides plain text or TLS; TLS is never dropped silently: a plain-text
 * channel needs `http://`, a unix socket, or `insecure: true`. Everything is
 * checked here, so a bad target fails `createChannel`, not the first call.
 */
export function parseTarget(target: string, options: ChannelOptions): ChannelTarget {
  if (typeof target !== "string" || target === "") throw new TypeError("createChannel: the target must be a non-empty string");
  let rest = target;
  let secure: boolean | undefined;
  let name: { scheme: string; authority: string; endpoint: string };
  if (rest.startsWith("http://") || rest.startsWith("https://")) {
    secure = rest.startsWith("https://");
    rest = rest.slice(secure ? 8 : 7).replace(/\/+$/, "");
    if (rest.includes("/")) throw new TypeError(`target "${target}": a path is not allowed after host:port`);
    name = { scheme: "dns", authority: "", endpoint: rest };
  } else {
    name = splitUri(target, options.resolvers);
  }
  const local = name.scheme === "unix" || name.scheme === "unix-abstract";
  if (secure === false && options.tls) throw new TypeError(`target "${target}" is http:// but tls options were given`);
  if (secure === true && options.insecure) throw new TypeError(`target "${target}" is https:// but insecure was set`);
  if (options.tls && options.insecure) throw new TypeError("createChannel: tls and insecure are exclusive");
  if (local && options.tls) throw new TypeError(`target "${target}": TLS over unix sockets is not supported`);
  if (secure === undefined) {
    if (options.tls) secure = true;
    else if (options.insecure || local) secure = false;
    else throw new TypeError(`target "${target}": say how to connect: "http://" or insecure: true for plain text, "https://" or tls for TLS`);
  }
  const resolverTarget: ResolverTarget = { ...name, defaultPort: secure ? 443 : 80 };
  const authority = checkAndFindAuthority(resolverTarget, target, options.resolvers);
  if (!secure) return { name: resolverTarget, authority };
  const tls = options.tls ?? {};
  const host = hostOf(authority);
  return {
    name: resolverTarget,
    authority,
    tls: {
      ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
      ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
      ...(tls.key !== undefined ? { key: tls.key } : {}),
      servername: tls.serverName ?? (isIP(host) !== 0 ? undefined : host),
    },
  };
}

/** `scheme:[//authority/]endpoint`; a target whose scheme no resolver knows is a `dns:` name (as gRPC does). */
function splitUri(target: string, custom: Record<string, ResolverFactory> | undefined) {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(target);
  const scheme = m?.[1]!.toLowerCase();
  if (!m || scheme === undefined || !(builtInSchemes.has(scheme) || (custom !== undefined && Object.hasOwn(custom, scheme)))) {
    return { scheme: "dns", authority: "", endpoint: target };
  }
  const body = m[2]!;
  if (scheme === "unix" || scheme === "unix-abstract") {
    if (scheme === "unix" && body.startsWith("//")) {
      // unix://absolute_path: the authority must be empty, so the path starts with a third slash.
      if (!body.startsWith("///")) throw new TypeError(`target "${target}": unix:// needs an absolute path (unix:///run/app.sock)`);
      return { scheme, authority: "", endpoint: body.slice(2) };
    }
    if (body === "") throw new TypeError(`target "${target}" names no socket path`);
    return { scheme, authority: "", endpoint: body };
  }
  if (body.startsWith("//")) {
    const slash = body.indexOf("/", 2);
    if (slash < 0) throw new TypeError(`target "${target}": expected ${scheme}://authority/name`);
    return { scheme, authority: body.slice(2, slash), endpoint: body.slice(slash + 1) };
  }
  return { scheme, authority: "", endpoint: body };
}

function checkAndFindAuthority(t: ResolverTarget, target: string, custom: Record<string, ResolverFactory> | undefined): string {
  const fail = (e: unknown): never => {
    throw new TypeError(`target "${target}": ${(e as Error).message}`);
  };
  if (custom !== undefined && Object.hasOwn(custom, t.scheme)) return t.endpoint.replace(/^\/+/, "") || "localhost";
  try {
    switch (t.scheme) {
      case "dns": {
        checkDnsAuthority(t.authority);
        const { host, port } = splitDnsEndpoint(t);
        return joinHostPort(host, port);
      }
      case "unix":
      case "unix-abstract":
        return "localhost";
      default: {
        if (t.authority !== "") throw new TypeError(`a ${t.scheme}: target takes no authority`);
        const first = addressesOfTarget(t)[0]!;
        return "host" in first ? joinHostPort(first.host, first.port) : "localhost";
      }
    }
  } catch (e) {
    return fail(e);
  }
}

function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function hostOf(authority: string): string {
  if (authority.startsWith("[")) return authority.slice(1, authority.indexOf("]"));
  const colon = authority.lastIndexOf(":");
  return colon < 0 ? authority : authority.slice(0, colon);
}
