/**
 * Test-time TLS material for the interop suite: a throwaway CA and a server
 * certificate for `foo.test.google.fr` (the name interop clients pass as
 * `--server_host_override`), `*.test.google.fr`, `localhost`, 127.0.0.1 and ::1.
 *
 * Nothing is committed: the files are made with openssl on first use into a
 * gitignored folder (`.tmp/interop-certs/` in the repository, or
 * `$INTEROP_CERT_DIR`) and reused afterwards. Run this file directly to make
 * them and print the folder.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface TestCerts {
  dir: string;
  caPath: string;
  certPath: string;
  keyPath: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** The name interop clients verify the server certificate against. */
export const TEST_SERVER_NAME = "foo.test.google.fr";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export function defaultCertDir(): string {
  return process.env["INTEROP_CERT_DIR"] || join(repoRoot, ".tmp", "interop-certs");
}

function load(dir: string): TestCerts {
  const caPath = join(dir, "ca.pem");
  const certPath = join(dir, "server.pem");
  const keyPath = join(dir, "server.key");
  return {
    dir, caPath, certPath, keyPath,
    ca: readFileSync(caPath), cert: readFileSync(certPath), key: readFileSync(keyPath),
  };
}

function openssl(cwd: string, args: string[]): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/**
 * Returns the test CA and server certificate, making them if missing.
 * Safe to call from several processes at once: each makes its set in a
 * private folder and moves it into place; the first one wins.
 */
export function createTestCerts(dir: string = defaultCertDir()): TestCerts {
  if (existsSync(join(dir, "done"))) return load(dir);
  mkdirSync(dirname(dir), { recursive: true });
  const work = mkdtempSync(`${dir}.tmp-`);
  try {
    openssl(work, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
      "-days", "30", "-subj", "/CN=tsgrpc interop test CA",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    openssl(work, ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
      "-subj", `/CN=${TEST_SERVER_NAME}`]);
    writeFileSync(join(work, "server.ext"), [
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      `subjectAltName=DNS:${TEST_SERVER_NAME},DNS:*.test.google.fr,DNS:localhost,IP:127.0.0.1,IP:::1`,
      "",
    ].join("\n"));
    openssl(work, ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
      "-out", "server.pem", "-days", "30", "-sha256", "-extfile", "server.ext"]);
    writeFileSync(join(work, "done"), "");
    try {
      renameSync(work, dir);
    } catch {
      // Another process got there first (the folder exists): use its files.
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (!existsSync(join(dir, "done"))) throw new Error(`could not create test certificates in ${dir}`);
  return load(dir);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(createTestCerts().dir);
}
