// Runs the tsgrpc command line in this process (the same `run` that the bin
// calls), capturing its output: most CLI tests use it to stay fast;
// cli-process.test.ts spawns the real command for what needs a process.
import { Readable } from "node:stream";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../src/cli/run.js";
import { testPki } from "../e2e/test-certs.js";

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export async function cli(argv: string[], stdin: string | Readable = "", interactive = false): Promise<CliResult> {
  let out = "";
  let err = "";
  const code = await run(argv, {
    stdin: typeof stdin === "string" ? Readable.from([stdin]) : stdin,
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    interactive,
  });
  return { code, out, err };
}

/** Responses printed by `call`: pretty JSON objects one after another. */
export function jsonOut(out: string): Record<string, unknown>[] {
  return out.trim() === "" ? [] : out.trim().split(/\n(?=\{)/).map((m) => JSON.parse(m) as Record<string, unknown>);
}

/** The test PKI written to files, as the CLI's flags take it. */
export function pkiFiles(): { dir: string; pki: ReturnType<typeof testPki>; ca: string; otherCa: string; clientCert: string; clientKey: string } {
  const pki = testPki();
  const dir = mkdtempSync(join(tmpdir(), "tsgrpc-cli-pki-"));
  const write = (name: string, data: Buffer) => {
    writeFileSync(join(dir, name), data);
    return join(dir, name);
  };
  return { dir, pki, ca: write("ca.pem", pki.ca), otherCa: write("other-ca.pem", pki.otherCa), clientCert: write("client.pem", pki.client.cert), clientKey: write("client-key.pem", pki.client.key) };
}
