import type { ConnectionTarget } from "../internal/transport/http2-connection.js";
import type { ChannelOptions } from "./channel.js";

/**
 * Reads a channel target and decides plain text or TLS. TLS is never dropped
 * silently: a plain-text channel needs `http://`, `unix:` or `insecure: true`.
 */
export function parseTarget(target: string, options: ChannelOptions): ConnectionTarget {
  let rest = target;
  let secure: boolean | undefined;
  if (rest.startsWith("unix:")) {
    const path = rest.startsWith("unix://") ? rest.slice("unix://".length) : rest.slice("unix:".length);
    if (!path) throw new TypeError(`target "${target}" names no socket path`);
    if (options.tls) throw new TypeError(`target "${target}": TLS over unix sockets is not supported`);
    return { authority: "localhost", host: "localhost", port: 0, path };
  }
  if (rest.startsWith("http://")) {
    secure = false;
    rest = rest.slice(7);
  } else if (rest.startsWith("https://")) {
    secure = true;
    rest = rest.slice(8);
  } else if (rest.startsWith("dns:///")) {
    rest = rest.slice(7);
  } else if (rest.startsWith("ipv4:") || rest.startsWith("ipv6:")) {
    rest = rest.slice(5);
  }
  rest = rest.replace(/\/+$/, "");
  if (secure === false && options.tls) throw new TypeError(`target "${target}" is http:// but tls options were given`);
  if (secure === true && options.insecure) throw new TypeError(`target "${target}" is https:// but insecure was set`);
  if (options.tls && options.insecure) throw new TypeError("createChannel: tls and insecure are exclusive");
  if (secure === undefined) {
    if (options.tls) secure = true;
    else if (options.insecure) secure = false;
    else throw new TypeError(`target "${target}": say how to connect: "http://" or insecure: true for plain text, "https://" or tls for TLS`);
  }
  const { host, port } = splitHostPort(rest, secure ? 443 : 80, target);
  const authority = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  if (!secure) return { authority, host, port };
  const tls = options.tls ?? {};
  return {
    authority,
    host,
    port,
    tls: {
      ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
      ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
      ...(tls.key !== undefined ? { key: tls.key } : {}),
      servername: tls.serverName ?? (isIp(host) ? undefined : host),
    },
  };
}

function splitHostPort(text: string, defaultPort: number, target: string): { host: string; port: number } {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const end = text.indexOf("]");
    if (end < 0) throw new TypeError(`target "${target}": unclosed [ in IPv6 address`);
    host = text.slice(1, end);
    const after = text.slice(end + 1);
    portText = after.startsWith(":") ? after.slice(1) : undefined;
  } else {
    const colon = text.lastIndexOf(":");
    if (colon >= 0 && text.indexOf(":") === colon) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    } else {
      host = text;
    }
  }
  if (!host) throw new TypeError(`target "${target}" names no host`);
  const port = portText === undefined || portText === "" ? defaultPort : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`target "${target}" has an invalid port`);
  return { host, port };
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}
