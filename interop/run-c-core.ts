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
import { create, toBinary } from "@bufbuild/protobuf";
import { SimpleRequestSchema, StreamingOutputCallRequestSchema } from "./gen/grpc/testing/messages_pb.js";
import { probeCall } from "./wire-probe.js";

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

/**
 * Library clients cannot see a response's compressed flag, so the
 * server_compressed_* "MUST" of the Python server is checked on the wire.
 * (Our own server gets the same check in test/interop/grpc-js-interop.test.ts.)
 */
async function wireChecks(useTls: boolean): Promise<void> {
  const label = `wire probe -> python server, ${useTls ? "tls" : "plaintext"}`;
  const checks: [string, string, Uint8Array, boolean[]][] = [];
  if (cases.includes("server_compressed_unary")) {
    for (const value of [true, false]) {
      const req = toBinary(SimpleRequestSchema, create(SimpleRequestSchema, { responseSize: 314_159, responseCompressed: { value } }));
      checks.push([`server_compressed_unary (response_compressed=${value})`, "UnaryCall", req, [value]]);
    }
  }
  if (cases.includes("server_compressed_streaming")) {
    const req = toBinary(StreamingOutputCallRequestSchema, create(StreamingOutputCallRequestSchema, {
      responseParameters: [{ size: 31_415, compressed: { value: true } }, { size: 92_653, compressed: { value: false } }],
    }));
    checks.push(["server_compressed_streaming", "StreamingOutputCall", req, [true, false]]);
  }
  if (checks.length === 0) return;
  const srv = await startServerProcess("python", { useTls });
  try {
    for (const [name, method, request, expected] of checks) {
      try {
        const res = await probeCall({ port: srv.port, useTls, path: `/grpc.testing.TestService/${method}`, request });
        const flags = res.messages.map((m) => m.compressed);
        if (res.status !== "0" || flags.join() !== expected.join()) {
          throw new Error(`grpc-status ${res.status}, compressed flags [${flags}], expected [${expected}]`);
        }
        passed++;
        console.log(`PASS  ${label}  ${name}`);
      } catch (e) {
        failed++;
        console.log(`FAIL  ${label}  ${name}: ${(e as Error).message}`);
      }
    }
  } finally {
    await srv.stop();
  }
}

for (const useTls of tlsModes) {
  await direction("python", ours, useTls);
  await direction(ours, "python", useTls);
  await wireChecks(useTls);
}
for (const f of failures) console.log(f);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
