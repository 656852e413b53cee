import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createChannel, Metadata, type Channel, type ChannelOptions } from "../index.js";
import { decodeBinaryValues } from "../metadata/binary-header.js";
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
 * The target and the channel options the flags make of it. The target is a
 * channel's (`createChannel` reads and checks it): `host:port`,
 * `http://host:port`, `https://host:port`, `dns:[//server/]host:port`,
 * `ipv4:addr:port,…`, `ipv6:[addr]:port,…`, `unix:path`. Plain text or TLS:
 * `http://`, `https://` and `unix:` say it; otherwise `--plaintext` or a
 * TLS flag (`--tls`, `--cacert`, `--cert`, `--key`, `--servername`)
 * decides, and without one a target whose every address is loopback (a
 * local server, as in development) is plain text and anything else TLS.
 */
export function channelTarget(target: string, flags: Flags): { url: string; options: ChannelOptions } {
  const tlsFlags = flags.tls || flags.cacert !== undefined || flags.cert !== undefined || flags.key !== undefined || flags.servername !== undefined;
  if (flags.plaintext && tlsFlags) throw new CliError("--plaintext cannot go with --tls, --cacert, --cert, --key or --servername");
  if ((flags.cert === undefined) !== (flags.key === undefined)) throw new CliError("--cert and --key go together (a client certificate and its private key)");
  const scheme = /^(https?):\/\//i.exec(target)?.[1]?.toLowerCase();
  if (scheme === "https" && flags.plaintext) throw new CliError(`--plaintext contradicts the https:// target "${target}"`);
  if (scheme === "http" && tlsFlags) throw new CliError(`TLS flags contradict the http:// target "${target}"`);
  if (flags.plaintext) return { url: target, options: { insecure: true } };
  if (tlsFlags) return { url: target, options: { tls: tlsOptions(flags) } };
  if (scheme !== undefined || /^unix(-abstract)?:/i.test(target)) return { url: target, options: {} };
  return { url: target, options: isLoopbackTarget(target) ? { insecure: true } : { tls: {} } };
}

/** Whether every address the target names is a loopback one (only to choose plain text by default: `createChannel` checks the target). */
function isLoopbackTarget(target: string): boolean {
  const addresses = target.replace(/^(dns:(\/\/[^/]*\/)?|ipv4:|ipv6:)/i, "");
  return addresses.split(",").every((a) => /^(localhost|127\.[\d.]+|\[::1\]|::1)(:\d*)?$/i.test(a.trim()));
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
    throw new CliError((e as Error).message, {
      hint: "give host:port (e.g. 127.0.0.1:50051), http://host:port, https://host:port, dns:///host:port, ipv4:addr:port, ipv6:[addr]:port or unix:/path",
    });
  }
}

/** `-H 'key: value'` flags as metadata; values of `-bin` keys are base64 (several joined by commas), read as a server reads them. */
export function metadataFlags(flags: Flags): Metadata {
  const md = new Metadata();
  for (const h of flags.header ?? []) {
    const colon = h.indexOf(":");
    if (colon <= 0) throw new CliError(`-H "${h}" is not "key: value"`);
    const key = h.slice(0, colon).trim().toLowerCase();
    const value = h.slice(colon + 1).trim();
    try {
      if (key.endsWith("-bin")) {
        const values = decodeBinaryValues(value);
        if (!values) throw new TypeError(`the value of ${key} must be base64`);
        for (const v of values) md.append(key, v);
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
