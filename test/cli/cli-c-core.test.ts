// The tsgrpc command against gRPC C-core: the Python interop server of
// Debian's python3-grpcio (CI installs it; the test is skipped without it).
// Debian packages neither grpcio-reflection nor grpcio-health-checking, so
// the schema comes from --proto, and `health` must report UNIMPLEMENTED.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, SYSTEM_PYTHON, startServerProcess, type ServerProcess } from "../../interop/peer-process.js";
import { TEST_SERVER_NAME, createTestCerts } from "../../interop/certs.js";
import type { BenchJson } from "../../src/cli/bench/bench-report.js";
import { cli, jsonOut } from "./cli-harness.js";

function hasPythonGrpc(): boolean {
  try {
    execFileSync(SYSTEM_PYTHON, ["-c", "import grpc, google.protobuf"], { stdio: "ignore", timeout: 20_000 });
    execFileSync("protoc", ["--version"], { stdio: "ignore", timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

const available = hasPythonGrpc();
const protoFlags = ["--proto", "grpc/testing/test.proto", "-I", join(REPO_ROOT, "proto")];
// The same schema compiled once, for the calls after the first (compiling is the slow part).
const protoset = join(tmpdir(), `tsgrpc-cli-c-core-${process.pid}.binpb`);
const schema = ["--protoset", protoset];

describe("tsgrpc against the C-core (Python) interop server", { skip: available ? false : "needs Debian's python3-grpcio and protoc", timeout: 90_000 }, () => {
  let plain: ServerProcess;
  let secure: ServerProcess;
  let ca = "";
  before(async () => {
    execFileSync("bash", [join(REPO_ROOT, "interop/python/setup.sh")], { stdio: "ignore", timeout: 120_000 });
    ca = createTestCerts().caPath;
    execFileSync(join(REPO_ROOT, "node_modules/.bin/buf"), ["build", join(REPO_ROOT, "proto"), "--path", join(REPO_ROOT, "proto/grpc/testing/test.proto"), "-o", protoset], { stdio: "ignore" });
    [plain, secure] = await Promise.all([startServerProcess("python"), startServerProcess("python", { useTls: true })]);
  });
  after(async () => {
    rmSync(protoset, { force: true });
    await Promise.all([plain?.stop(), secure?.stop()]);
  });

  test("all four call kinds and a status, schema from --proto", async () => {
    const target = `127.0.0.1:${plain.port}`;
    const listed = await cli(["list", target, "grpc.testing.TestService", ...protoFlags]);
    assert.match(listed.out, /grpc.testing.TestService\/FullDuplexCall/);
    const unary = await cli(["call", target, "grpc.testing.TestService/UnaryCall", ...schema, "-d", '{"responseSize":3,"payload":{"body":"AAAA"}}']);
    assert.equal(unary.code, 0, unary.err);
    assert.deepEqual(jsonOut(unary.out), [{ payload: { body: "AAAA" } }]);
    const out = await cli(["call", target, "grpc.testing.TestService/StreamingOutputCall", ...schema, "-d", '{"responseParameters":[{"size":1},{"size":2}]}']);
    assert.deepEqual(jsonOut(out.out), [{ payload: { body: "AA==" } }, { payload: { body: "AAA=" } }]);
    const input = await cli(["call", target, "grpc.testing.TestService/StreamingInputCall", ...schema, "-d", "@"], '{"payload":{"body":"AAAA"}}\n{"payload":{"body":"AA=="}}\n');
    assert.deepEqual(jsonOut(input.out), [{ aggregatedPayloadSize: 4 }]);
    const duplex = await cli(["call", target, "grpc.testing.TestService/FullDuplexCall", ...schema, "-d", "@"], '{"responseParameters":[{"size":1}]} {"responseParameters":[{"size":2}]}');
    assert.equal(jsonOut(duplex.out).length, 2, duplex.err);
    const status = await cli(["call", target, "grpc.testing.TestService/UnaryCall", ...schema, "-d", '{"responseStatus":{"code":9,"message":"nope"}}']);
    assert.equal(status.code, 9);
    assert.match(status.err, /Code: FAILED_PRECONDITION\n  Message: nope/);
    const bench = await cli(["bench", target, "grpc.testing.TestService/EmptyCall", ...schema, "-n", "40", "-c", "4", "--connections", "2", "--format", "json"]);
    assert.deepEqual(((r: BenchJson) => [r.count, r.statuses])(JSON.parse(bench.out) as BenchJson), [40, { OK: 40 }]);
  });

  test("no reflection and no health service: the hint, and UNIMPLEMENTED", async () => {
    const target = `127.0.0.1:${plain.port}`;
    const list = await cli(["list", target]);
    assert.equal(list.code, 12);
    assert.match(list.err, /--proto/);
    const health = await cli(["health", target]);
    assert.equal(health.code, 12);
    assert.match(health.err, /no health service/);
  });

  test("over TLS with --cacert and --servername", async () => {
    const res = await cli(["call", `127.0.0.1:${secure.port}`, "grpc.testing.TestService/EmptyCall", ...schema, "--cacert", ca, "--servername", TEST_SERVER_NAME]);
    assert.equal(res.code, 0, res.err);
    assert.deepEqual(jsonOut(res.out), [{}]);
  });
});
