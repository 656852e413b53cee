import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { isIP } from "node:net";
import { createChannel, Metadata, type Channel, type ChannelOptions } from "../index.js";
import { CliError } from "./cli-error.js";

/** Every flag of every command (each command reads the ones it uses). */
export const flagSpec = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
  header: { type: "string", short: "H", multiple: true },
  data: { type: "string", short: "d" },
  timeout: { type: "string" },
  plaintext: { type: "boolean" },
  tls: { type: "boolean" },
  cacert: { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
  servername: { type: "string" },
  verbose: { type: "boolean", short: "v" },
  "emit-defaults": { type: "boolean" },
  proto: { type: "string", multiple: true },
  "import-path": { type: "string", short: "I", multiple: true },
  protoset: { type: "string", multiple: true },
  watch: { type: "boolean" },
  output: { type: "string", short: "o" },
  concurrency: { type: "string", short: "c" },
  connections: { type: "string" },
  cpus: { type: "string" },
  duration: { type: "string", short: "z" },
  total: { type: "string", short: "n" },
  rps: { type: "string" },
  format: { type: "string" },
} as const;

export type Flags = ReturnType<typeof parseFlags>["values"];

export function parseFlags(args: string[]) {
  try {
    return parseArgs({ args, options: flagSpec, allowPositionals: true, strict: true });
  } catch (e) {
    throw new CliError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ""), { hint: "run `tsgrpc --help` for the flags" });
  }
}

/**
 * The target as a channel address. `http://` and `https://` say it; a bare
 * `host:port` is plain text for loopback addresses (a local server, as in
 * development) and TLS for anything else, unless `--plaintext` or a TLS
 * flag (`--tls`, `--cacert`, `--cert`, `--key`, `--servername`) decides.
 */
export function channelTarget(target: string, flags: Flags): { url: string; options: ChannelOptions } {
  const tlsFlags = flags.tls || flags.cacert !== undefined || flags.cert !== undefined || flags.key !== undefined || flags.servername !== undefined;
  if (flags.plaintext && tlsFlags) throw new CliError("--plaintext cannot go with --tls, --cacert, --cert, --key or --servername");
  if ((flags.cert === undefined) !== (flags.key === undefined)) throw new CliError("--cert and --key go together (a client certificate and its private key)");
  let secure: boolean;
  let hostPort: string;
  const scheme = /^([a-z]+):\/\//.exec(target);
  if (target.startsWith("unix:")) return { url: target, options: tlsFlags ? { tls: tlsOptions(flags) } : { insecure: true } };
  if (scheme) {
    if (scheme[1] !== "http" && scheme[1] !== "https") throw new CliError(`unsupported scheme in "${target}"`, { hint: "use host:port, http://host:port, https://host:port or unix:/path" });
    secure = scheme[1] === "https";
    hostPort = target.slice(scheme[0].length).replace(/\/+$/, "");
    if (secure && flags.plaintext) throw new CliError(`--plaintext contradicts the https:// target "${target}"`);
    if (!secure && tlsFlags) throw new CliError(`TLS flags contradict the http:// target "${target}"`);
  } else {
    hostPort = target;
    secure = flags.plaintext ? false : tlsFlags ? true : !isLoopback(hostOf(target));
  }
  if (!/^(\[[^\]]+\]|[^:/[\]]+):\d+$/.test(hostPort)) {
    throw new CliError(`"${target}" is not an address`, { hint: "give host:port (e.g. 127.0.0.1:50051), http://host:port, https://host:port or unix:/path" });
  }
  return secure ? { url: `https://${hostPort}`, options: { tls: tlsOptions(flags) } } : { url: `http://${hostPort}`, options: {} };
}

function hostOf(hostPort: string): string {
  const m = /^\[([^\]]+)\]:\d+$/.exec(hostPort) ?? /^([^:]+):\d+$/.exec(hostPort);
  return m?.[1] ?? hostPort;
}

function isLoopback(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

function tlsOptions(flags: Flags): NonNullable<ChannelOptions["tls"]> {
  return {
    ...(flags.cacert !== undefined ? { ca: readFlagFile(flags.cacert, "--cacert") } : {}),
    ...(flags.cert !== undefined ? { cert: readFlagFile(flags.cert, "--cert") } : {}),
    ...(flags.key !== undefined ? { key: readFlagFile(flags.key, "--key") } : {}),
    ...(flags.servername !== undefined ? { serverName: flags.servername } : {}),
  };
}

export function readFlagFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new CliError(`${flag}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** A channel to `target` with the connection flags. */
export function openChannel(target: string, flags: Flags): Channel {
  const { url, options } = channelTarget(target, flags);
  try {
    return createChannel(url, { ...options, userAgent: "tsgrpc-cli" });
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/** `-H 'key: value'` flags as metadata; values of `-bin` keys are base64. */
export function metadataFlags(flags: Flags): Metadata {
  const md = new Metadata();
  for (const h of flags.header ?? []) {
    const colon = h.indexOf(":");
    if (colon <= 0) throw new CliError(`-H "${h}" is not "key: value"`);
    const key = h.slice(0, colon).trim().toLowerCase();
    const value = h.slice(colon + 1).trim();
    try {
      if (key.endsWith("-bin")) {
        if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) throw new TypeError(`the value of ${key} must be base64`);
        md.append(key, new Uint8Array(Buffer.from(value, "base64")));
      } else md.append(key, value);
    } catch (e) {
      throw new CliError(`-H "${h}": ${(e as Error).message}`);
    }
  }
  return md;
}

/** `--timeout 5s` (also `250ms`, `1m`, or plain seconds) in milliseconds. */
export function parseDurationMs(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new CliError(`${flag} "${text}" is not a duration`, { hint: "write e.g. 500ms, 5s, 2m or 1.5 (seconds)" });
  const n = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms"];
  if (n <= 0) throw new CliError(`${flag} must be more than zero`);
  return n;
}

export function parseCount(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${flag} must be a whole number of at least 1, not "${text}"`);
  return n;
}
