/**
 * Cross-implementation interop run against gRPC C-core (Debian's Python
 * grpcio): the Python client against our server and our client against the
 * Python server, for every case, in plaintext and over TLS.
 *
 *   npm run test:interop [-- --ours=tsgrpc|grpc-js] [--cases=a,b] [--tls=both|on|off]
 *
 * `--ours=grpc-js` runs the same matrix with the grpc-js peer in our place,
 * which checks the peers themselves. Prints one line per case and direction,
 * then `N passed, N failed`; exits 1 if anything failed.
 */
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { parseRawFlags } from "./flags.js";
import { REPO_ROOT, runClientProcess, startServerProcess, type PeerName, type ServerProcess } from "./peer-process.js";
import { TEST_CASES } from "./test-cases.js";

const flags = parseRawFlags(process.argv.slice(2));
const ours = (flags.get("ours") ?? "tsgrpc") as PeerName;
if (ours !== "tsgrpc" && ours !== "grpc-js") throw new TypeError("--ours must be tsgrpc or grpc-js");
const cases = flags.get("cases")?.split(",") ?? [...TEST_CASES];
const tlsModes = { both: [false, true], on: [true], off: [false] }[flags.get("tls") ?? "both"];
if (!tlsModes) throw new TypeError("--tls must be both, on or off");

execFileSync("bash", [resolve(REPO_ROOT, "interop/python/setup.sh")], { stdio: "inherit" });

let passed = 0;
let failed = 0;
const failures: string[] = [];

async function direction(client: PeerName, server: PeerName, useTls: boolean): Promise<void> {
  const label = `${client} client -> ${server} server, ${useTls ? "tls" : "plaintext"}`;
  let srv: ServerProcess;
  try {
    srv = await startServerProcess(server, { useTls });
  } catch (e) {
    for (const c of cases) {
      failed++;
      console.log(`FAIL  ${label}  ${c}: server did not start`);
    }
    failures.push(`${label}: ${(e as Error).message}`);
    return;
  }
  try {
    for (const testCase of cases) {
      const r = await runClientProcess(client, { port: srv.port, testCase, useTls });
      const ms = `${r.durationMs.toFixed(0)} ms`;
      if (r.ok) {
        passed++;
        console.log(`PASS  ${label}  ${testCase}  (${ms})`);
      } else {
        failed++;
        const why = r.output.split("\n").filter((l) => l.trim()).slice(-3).join(" | ");
        console.log(`FAIL  ${label}  ${testCase}  (${ms}): ${why}`);
      }
    }
  } finally {
    await srv.stop();
  }
}

for (const useTls of tlsModes) {
  await direction("python", ours, useTls);
  await direction(ours, "python", useTls);
}
for (const f of failures) console.log(f);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
