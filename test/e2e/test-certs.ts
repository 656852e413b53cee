// Test-time TLS material made with openssl (never committed): two unrelated
// CAs, server and client certificates, and expired ones, all EC P-256.
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface KeyPair {
  key: Buffer;
  cert: Buffer;
}

export interface TestPki {
  /** The CA that signed every certificate below except `strangerClient`. */
  ca: Buffer;
  /** An unrelated CA: trusting only it must fail. */
  otherCa: Buffer;
  /** For `localhost`, `server.test`, 127.0.0.1 and ::1. */
  server: KeyPair;
  /** A second server certificate (CN `server-2.test`, same names), for reload tests. */
  server2: KeyPair;
  /** Valid from 2020-01-01 to 2020-02-01. */
  expiredServer: KeyPair;
  /** CN `alice`, SAN `URI:spiffe://tsgrpc.test/alice`. */
  client: KeyPair;
  /** CN `old-client`, expired. */
  expiredClient: KeyPair;
  /** CN `stranger`, signed by `otherCa`. */
  strangerClient: KeyPair;
}

let cached: TestPki | undefined;

/** Makes the test PKI once per process (about a dozen openssl runs, well under a second). */
export function testPki(): TestPki {
  return (cached ??= makePki());
}

function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "tsgrpc-pki-"));
  try {
    const ca = newCa(dir, "ca", "tsgrpc test CA");
    const other = newCa(dir, "other-ca", "tsgrpc unrelated CA");
    const serverNames = "DNS:localhost,DNS:server.test,IP:127.0.0.1,IP:::1";
    const day = 24 * 3600 * 1000;
    const valid = { from: new Date(Date.now() - day), to: new Date(Date.now() + day) };
    const expired = { from: new Date("2020-01-01T00:00:00Z"), to: new Date("2020-02-01T00:00:00Z") };
    return {
      ca: ca.cert,
      otherCa: other.cert,
      server: issue(dir, ca, "server", "server.test", { san: serverNames, usage: "serverAuth", ...valid }),
      server2: issue(dir, ca, "server2", "server-2.test", { san: serverNames, usage: "serverAuth", ...valid }),
      expiredServer: issue(dir, ca, "expired-server", "server.test", { san: serverNames, usage: "serverAuth", ...expired }),
      client: issue(dir, ca, "client", "alice", { san: "URI:spiffe://tsgrpc.test/alice", usage: "clientAuth", ...valid }),
      expiredClient: issue(dir, ca, "expired-client", "old-client", { usage: "clientAuth", ...expired }),
      strangerClient: issue(dir, other, "stranger", "stranger", { usage: "clientAuth", ...valid }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Ca {
  name: string;
  dir: string;
  cert: Buffer;
}

function openssl(cwd: string, args: string[]): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function newCa(root: string, name: string, cn: string): Ca {
  const dir = join(root, name);
  mkdirSync(join(dir, "issued"), { recursive: true });
  openssl(dir, ["req", "-x509", ...ecKey, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", `/CN=${cn}`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  writeFileSync(join(dir, "index.txt"), "");
  writeFileSync(join(dir, "serial"), "1000\n");
  // `openssl ca` rather than `x509 -req`: only it takes explicit start and end dates (expired certificates).
  writeFileSync(join(dir, "ca.cnf"), [
    "[ca]", "default_ca = test_ca",
    "[test_ca]", "dir = .", "database = index.txt", "new_certs_dir = issued", "certificate = ca.pem",
    "private_key = ca.key", "serial = serial", "default_md = sha256", "policy = any_name", "unique_subject = no",
    "[any_name]", "commonName = supplied", "",
  ].join("\n"));
  return { name, dir, cert: readFileSync(join(dir, "ca.pem")) };
}

function issue(root: string, ca: Ca, name: string, cn: string, o: { san?: string; usage: string; from: Date; to: Date }): KeyPair {
  openssl(root, ["req", ...ecKey, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`]);
  const ext = ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature", `extendedKeyUsage=${o.usage}`];
  if (o.san) ext.push(`subjectAltName=${o.san}`);
  writeFileSync(join(root, `${name}.ext`), ext.join("\n") + "\n");
  openssl(ca.dir, ["ca", "-batch", "-config", "ca.cnf", "-notext", "-in", join(root, `${name}.csr`), "-out", join(root, `${name}.pem`),
    "-startdate", asn1Time(o.from), "-enddate", asn1Time(o.to), "-extfile", join(root, `${name}.ext`)]);
  return { key: readFileSync(join(root, `${name}.key`)), cert: readFileSync(join(root, `${name}.pem`)) };
}

/** `YYYYMMDDHHMMSSZ`, as `openssl ca` wants it. */
function asn1Time(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, "").replace(/\.\d+Z$/, "Z");
}
