// The tsgrpc command end to end over loopback: every subcommand and flag
// against the example server (reflection), a server without reflection
// (--proto, --protoset), TLS and mTLS, exit codes and error output.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Code, RpcError, createDetail, createServer, type HandlerContext, type Server } from "../../src/index.js";
import { BadRequestSchema } from "../../src/status/error-details.js";
import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { createReflectionService } from "../../src/reflection/index.js";
import { createHealthService, type HealthService } from "../../src/health/index.js";
import { createUsersServer } from "../../examples/users/users-server.js";
import { UserService } from "../../examples/users/gen/users/v1/users_pb.js";
import { EchoService, type EchoRequest } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { echoService } from "../e2e/echo-service.js";
import { buildReflectFixture } from "../e2e/reflect-fixture.js";
import { cli, jsonOut, pkiFiles } from "./cli-harness.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function echoWithDetails() {
  const base = echoService();
  return {
    ...base,
    unary(req: EchoRequest, ctx: HandlerContext) {
      if (req.tag === "details") {
        throw new RpcError(Code.INVALID_ARGUMENT, "tag is wrong", {
          details: [createDetail(BadRequestSchema, { fieldViolations: [{ field: "tag", description: "no details, please" }] })],
        });
      }
      return base.unary!(req, ctx);
    },
  };
}

describe("tsgrpc against the example server (reflection)", { timeout: 60_000 }, () => {
  let server: Server;
  let health: HealthService;
  let target = "";
  before(async () => {
    ({ server, health } = createUsersServer());
    server.service(EchoService, echoWithDetails() as never);
    target = `127.0.0.1:${(await server.listen("127.0.0.1:0")).port}`;
  });
  after(() => server.close({ graceMs: 100 }));

  test("list: services, then the methods of one", async () => {
    const all = await cli(["list", target]);
    assert.equal(all.code, 0, all.err);
    assert.deepEqual(all.out.trim().split("\n"), [
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "tsgrpc.test.v1.EchoService",
      "users.v1.FileService",
      "users.v1.UserService",
    ]);
    const methods = await cli(["list", target, "users.v1.UserService"]);
    assert.deepEqual(methods.out.trim().split("\n"), UserService.methods.map((m) => `users.v1.UserService/${m.name}`));
    assert.ok(methods.out.includes("users.v1.UserService/Chat\n"));
    const unknown = await cli(["list", target, "users.v1.Nope"]);
    assert.equal(unknown.code, Code.UNIMPLEMENTED);
    assert.match(unknown.err, /unknown service "users.v1.Nope"[\s\S]*hint: the server has: .*users.v1.UserService/);
  });

  test("openapi: the REST routes of the server's google.api.http rules, from reflection, to stdout or a file", async () => {
    const printed = await cli(["openapi", target, "users.v1.UserService"]);
    assert.equal(printed.code, 0, printed.err);
    const doc = JSON.parse(printed.out);
    assert.equal(doc.openapi, "3.1.0");
    assert.deepEqual(Object.keys(doc.paths).sort(), ["/v1/users", "/v1/users/{id}"]);
    assert.ok(doc.paths["/v1/users"].post && doc.paths["/v1/users"].get && doc.paths["/v1/users/{id}"].get);
    const file = join(repoRoot, ".tmp-openapi-test.json");
    try {
      const written = await cli(["openapi", target, "-o", file]);
      assert.equal(written.code, 0, written.err);
      assert.equal(written.out, "");
      const { readFileSync } = await import("node:fs");
      assert.deepEqual(Object.keys(JSON.parse(readFileSync(file, "utf8")).paths).sort(), ["/v1/users", "/v1/users/{id}"]);
    } finally {
      rmSync(file, { force: true });
    }
  });

  test("describe: services, methods, messages, enums", async () => {
    const svc = await cli(["describe", target, "users.v1.UserService"]);
    assert.equal(svc.code, 0, svc.err);
    assert.match(svc.out, /rpc ListUsers\(\.users\.v1\.ListUsersRequest\) returns \(stream \.users\.v1\.User\);/);
    assert.match(svc.out, /rpc Chat\(stream \.users\.v1\.ChatMessage\) returns \(stream \.users\.v1\.ChatMessage\);/);
    const method = await cli(["describe", target, "users.v1.UserService/CreateUsers"]);
    assert.match(method.out, /users.v1.UserService.CreateUsers is a method:\nrpc CreateUsers\(stream/);
    const msg = await cli(["describe", target, "users.v1.UploadFileRequest"]);
    assert.match(msg.out, /oneof data \{\n    \.users\.v1\.FileMetadata metadata = 1;\n    bytes chunk = 2;\n  \}/);
    const en = await cli(["describe", target, "grpc.health.v1.HealthCheckResponse.ServingStatus"]);
    assert.match(en.out, /enum ServingStatus \{\n  UNKNOWN = 0;\n  SERVING = 1;/);
    const all = await cli(["describe", target]);
    assert.match(all.out, /service FileService/);
    const missing = await cli(["describe", target, "users.v1.Nothing"]);
    assert.equal(missing.code, Code.NOT_FOUND);
    assert.match(missing.err, /unknown symbol/);
  });

  test("call: all four kinds, -d with several messages, stdin, --emit-defaults", async () => {
    const unary = await cli(["call", target, "users.v1.UserService/GetUser", "-d", '{"id":"0002"}']);
    assert.equal(unary.code, 0, unary.err);
    assert.deepEqual(jsonOut(unary.out), [{ user: { id: "0002", name: "grace", email: "grace@example.com" } }]);
    const dotted = await cli(["call", target, "users.v1.UserService.GetUser", "-d", '{"id":"0002"}']);
    assert.equal(dotted.code, 0, dotted.err);
    const stream = await cli(["call", target, "users.v1.UserService/ListUsers", "-d", '{"pageSize":3}']);
    assert.deepEqual(jsonOut(stream.out).map((u) => u.name), ["ada", "grace", "alan"]);
    const client = await cli(["call", target, "users.v1.UserService/CreateUsers", "-d", '{"name":"a"}{"name":"b"} {"name":"c"}']);
    assert.equal(jsonOut(client.out)[0]!.createdCount, 3);
    const bidi = await cli(["call", target, "users.v1.UserService/Chat", "-d", "@"], '{"text":"one"}\n{"text":"two"}\n');
    assert.deepEqual(jsonOut(bidi.out), [{ from: "server", text: "ONE" }, { from: "server", text: "TWO" }]);
    const upload = await cli(["call", target, "users.v1.FileService/UploadFile", "-d", "@"], '{"metadata":{"name":"f"}} {"chunk":"AAEC"}');
    assert.equal(jsonOut(upload.out)[0]!.bytesReceived, "3");
    const plain = await cli(["call", target, "tsgrpc.test.v1.EchoService/Unary", "-d", "{}"]);
    assert.deepEqual(jsonOut(plain.out), [{}]);
    const defaults = await cli(["call", target, "tsgrpc.test.v1.EchoService/Unary", "--emit-defaults"]);
    assert.deepEqual(jsonOut(defaults.out), [{ payload: "", index: 0, receivedCount: 0, receivedBytes: "0" }]);
  });

  test("call: -H metadata (also -bin), -v headers and trailers", async () => {
    const res = await cli(["call", target, "tsgrpc.test.v1.EchoService/Unary", "-v", "-H", "x-header-a: 1", "-H", "x-trailer-b: two", "-H", "x-trailer-c-bin: AQID"]);
    assert.equal(res.code, 0, res.err);
    assert.match(res.err, /Request metadata:\n  x-header-a: 1\n  x-trailer-b: two\n  x-trailer-c-bin: AQID/);
    assert.match(res.err, /Response headers:\n(  .*\n)*  x-header-a: 1\n/);
    assert.match(res.err, /Response trailers:\n(  .*\n)*  x-trailer-b: two\n  x-trailer-c-bin: AQID\n/);
    assert.match(res.err, /Status: OK/);
    const bad = await cli(["call", target, "tsgrpc.test.v1.EchoService/Unary", "-H", "nocolon"]);
    assert.equal(bad.code, 64);
    const badBin = await cli(["call", target, "tsgrpc.test.v1.EchoService/Unary", "-H", "x-bin: ***"]);
    assert.equal(badBin.code, 64);
    assert.match(badBin.err, /base64/);
  });

  test("call: the exit code is the status; errors show code, message and details", async () => {
    for (const code of [Code.CANCELLED, Code.NOT_FOUND, Code.PERMISSION_DENIED, Code.INTERNAL, Code.UNAUTHENTICATED]) {
      const res = await cli(["call", target, "tsgrpc.test.v1.EchoService/Unary", "-d", JSON.stringify({ failCode: code, failMessage: `failed ${code}` })]);
      assert.equal(res.code, code);
      assert.match(res.err, new RegExp(`Code: ${Code[code]}\\n  Message: failed ${code}`));
    }
    const details = await cli(["call", target, "tsgrpc.test.v1.EchoService/Unary", "-d", '{"tag":"details"}']);
    assert.equal(details.code, Code.INVALID_ARGUMENT);
    assert.match(details.err, /google.rpc.BadRequest \{\n\s+"fieldViolations": \[/);
    assert.match(details.err, /"description": "no details, please"/);
    const timeout = await cli(["call", target, "tsgrpc.test.v1.EchoService/Unary", "-d", '{"sleepMs":5000}', "--timeout", "100ms"]);
    assert.equal(timeout.code, Code.DEADLINE_EXCEEDED);
    const unavailable = await cli(["call", "127.0.0.1:1", "users.v1.UserService/GetUser", "--timeout", "5s"]);
    assert.equal(unavailable.code, Code.UNAVAILABLE);
  });

  test("call: mistakes are explained", async () => {
    const method = await cli(["call", target, "users.v1.UserService/Nope"]);
    assert.equal(method.code, Code.UNIMPLEMENTED);
    assert.ok(method.err.includes(`no method "Nope"\nhint: its methods: ${UserService.methods.map((m) => m.name).join(", ")}\n`), method.err);
    const json = await cli(["call", target, "users.v1.UserService/GetUser", "-d", '{"id":'] );
    assert.equal(json.code, 64);
    const field = await cli(["call", target, "users.v1.UserService/GetUser", "-d", '{"nope":1}']);
    assert.equal(field.code, 64);
    assert.match(field.err, /not a users.v1.GetUserRequest[\s\S]*hint: `tsgrpc describe <target> users.v1.GetUserRequest`/);
    const two = await cli(["call", target, "users.v1.UserService/GetUser", "-d", "{} {}"]);
    assert.equal(two.code, 64);
    const noMethod = await cli(["call", target]);
    assert.match(noMethod.err, /no method given/);
    const flag = await cli(["call", target, "x.Y/Z", "--nope"]);
    assert.equal(flag.code, 64);
    assert.match(flag.err, /Unknown option '--nope'/);
    const cmd = await cli(["nope"]);
    assert.match(cmd.err, /unknown command "nope"/);
    const addr = await cli(["list", "ftp://x:1"]);
    assert.equal(addr.code, 64);
    assert.match(addr.err, /"ftp:\/\/x:1" is not a host name\nhint: give host:port/);
  });

  test("targets as channels name them: dns:, ipv4:, ipv6:, http://", async () => {
    const port = target.slice(target.lastIndexOf(":") + 1);
    for (const t of [`dns:///127.0.0.1:${port}`, `dns:localhost:${port}`, `ipv4:127.0.0.1:${port},127.0.0.1:${port}`, `http://127.0.0.1:${port}`]) {
      const res = await cli(["health", t]);
      assert.deepEqual([res.code, res.out, res.err], [0, "SERVING\n", ""], t);
    }
  });

  test("health: exit codes for SERVING, NOT_SERVING and unknown services", async () => {
    const ok = await cli(["health", target]);
    assert.deepEqual([ok.code, ok.out], [0, "SERVING\n"]);
    health.setStatus("users.v1.FileService", "NOT_SERVING");
    const down = await cli(["health", target, "users.v1.FileService"]);
    assert.deepEqual([down.code, down.out], [1, "NOT_SERVING\n"]);
    health.setStatus("users.v1.FileService", "SERVING");
    const unknown = await cli(["health", target, "no.Such"]);
    assert.equal(unknown.code, Code.NOT_FOUND);
  });

  test("help and version", async () => {
    const help = await cli(["--help"]);
    assert.equal(help.code, 0);
    for (const c of ["list", "describe", "call", "health"]) assert.match(help.out, new RegExp(`tsgrpc ${c} `));
    assert.equal((await cli([])).code, 64);
    assert.match((await cli(["call", "--help"])).out, /usage: tsgrpc call/);
    assert.match((await cli(["--version"])).out, /^tsgrpc \d+\.\d+\.\d+/);
  });
});

describe("tsgrpc health --watch", { timeout: 30_000 }, () => {
  test("prints each change, then NOT_SERVING when the server shuts down, and exits 1", async () => {
    const server = createServer();
    const health = createHealthService();
    health.register(server);
    const target = `127.0.0.1:${(await server.listen("127.0.0.1:0")).port}`;
    const lines: string[] = [];
    const { run } = await import("../../src/cli/run.js");
    const { Readable } = await import("node:stream");
    const done = run(["health", target, "svc", "--watch"], {
      stdin: Readable.from([]),
      out: (t) => void lines.push(t.trim().split(" ")[1]!),
      err: () => undefined,
      interactive: false,
    });
    const until = async (n: number) => {
      for (let i = 0; i < 300 && lines.length < n; i++) await new Promise((r) => setTimeout(r, 10));
    };
    await until(1);
    health.setStatus("svc", "SERVING");
    await until(2);
    health.setStatus("svc", "NOT_SERVING");
    await until(3);
    health.setStatus("svc", "SERVING");
    await until(4);
    await server.close({ graceMs: 2000 });
    assert.equal(await done, 1);
    assert.deepEqual(lines, ["SERVICE_UNKNOWN", "SERVING", "NOT_SERVING", "SERVING", "NOT_SERVING"]);
  });
});

describe("tsgrpc without reflection: --proto, --protoset, and the hint", { timeout: 60_000 }, () => {
  let server: Server;
  let target = "";
  let protoset = "";
  before(async () => {
    server = createServer().service(EchoService, echoService());
    createHealthService().register(server);
    target = `127.0.0.1:${(await server.listen("127.0.0.1:0")).port}`;
    protoset = join(repoRoot, `.tmp-cli-echo-${process.pid}.binpb`);
    execFileSync(join(repoRoot, "node_modules/.bin/buf"), ["build", "test/proto", "--path", "test/proto/tsgrpc/test", "-o", protoset], { cwd: repoRoot });
  });
  after(async () => {
    rmSync(protoset, { force: true });
    await server.close({ graceMs: 100 });
  });

  test("no reflection: UNIMPLEMENTED and a hint to give the schema", async () => {
    const res = await cli(["list", target]);
    assert.equal(res.code, Code.UNIMPLEMENTED);
    assert.match(res.err, /does not offer reflection[\s\S]*hint: .*--proto/);
  });

  test("--protoset", async () => {
    assert.equal((await cli(["list", target, "--protoset", protoset])).out, "tsgrpc.test.v1.EchoService\n");
    const res = await cli(["call", target, "tsgrpc.test.v1.EchoService/ServerStream", "--protoset", protoset, "-d", '{"responseCount":2,"payload":"AQ=="}']);
    assert.deepEqual(jsonOut(res.out), [{ payload: "AQ==" }, { payload: "AQ==", index: 1 }]);
    // No server needed to list or describe what a file holds.
    assert.equal((await cli(["list", "--protoset", protoset])).out, "tsgrpc.test.v1.EchoService\n");
    assert.match((await cli(["describe", "--protoset", protoset, "tsgrpc.test.v1.EchoRequest"])).out, /message EchoRequest \{\n  bytes payload = 1;/);
    assert.match((await cli(["list", "--protoset", protoset, "tsgrpc.test.v1.EchoService"])).out, /^tsgrpc\.test\.v1\.EchoService\/Unary$/m);
    const bad = await cli(["list", target, "--protoset", join(repoRoot, "package.json")]);
    assert.equal(bad.code, 64);
    assert.match(bad.err, /is not a FileDescriptorSet/);
  });

  test("--proto with --import-path (compiled with buf)", async () => {
    const res = await cli(["call", target, "tsgrpc.test.v1.EchoService/ClientStream", "--proto", "tsgrpc/test/v1/echo.proto", "-I", join(repoRoot, "test/proto"), "-d", '{"payload":"AQ=="} {"payload":"AgM="}']);
    assert.equal(res.code, 0, res.err);
    assert.deepEqual(jsonOut(res.out), [{ receivedCount: 2, receivedBytes: "3" }]);
    const described = await cli(["describe", "--proto", join(repoRoot, "test/proto/tsgrpc/test/v1/echo.proto"), "-I", join(repoRoot, "test/proto"), target, "tsgrpc.test.v1.EchoRequest"]);
    assert.match(described.out, /int32 sleep_ms = 7;/);
    const missing = await cli(["list", target, "--proto", "nope.proto", "-I", join(repoRoot, "test/proto")]);
    assert.match(missing.err, /not found in the import paths/);
  });
});

describe("tsgrpc over TLS and mTLS", { timeout: 60_000 }, () => {
  const files = pkiFiles();
  let tlsServer: Server;
  let mtlsServer: Server;
  let tlsPort = 0;
  let mtlsPort = 0;
  before(async () => {
    tlsServer = createServer();
    createHealthService().register(tlsServer);
    createReflectionService().register(tlsServer);
    tlsPort = (await tlsServer.listen({ host: "127.0.0.1", port: 0, tls: files.pki.server })).port;
    mtlsServer = createServer();
    createHealthService().register(mtlsServer);
    mtlsPort = (await mtlsServer.listen({ host: "127.0.0.1", port: 0, tls: { ...files.pki.server, ca: files.pki.ca, requireClientCert: true } })).port;
  });
  after(async () => {
    await tlsServer.close({ graceMs: 100 });
    await mtlsServer.close({ graceMs: 100 });
    rmSync(files.dir, { recursive: true, force: true });
  });

  test("--cacert, --servername, https:// and --tls", async () => {
    assert.equal((await cli(["health", `127.0.0.1:${tlsPort}`, "--cacert", files.ca])).code, 0);
    assert.equal((await cli(["health", `https://localhost:${tlsPort}`, "--cacert", files.ca])).code, 0);
    assert.equal((await cli(["health", `127.0.0.1:${tlsPort}`, "--cacert", files.ca, "--servername", "server.test"])).code, 0);
    const wrongName = await cli(["health", `127.0.0.1:${tlsPort}`, "--cacert", files.ca, "--servername", "other.test"]);
    assert.equal(wrongName.code, Code.UNAVAILABLE);
    const untrusted = await cli(["health", `127.0.0.1:${tlsPort}`, "--tls"]);
    assert.equal(untrusted.code, Code.UNAVAILABLE);
    const otherCa = await cli(["list", `127.0.0.1:${tlsPort}`, "--cacert", files.otherCa]);
    assert.equal(otherCa.code, Code.UNAVAILABLE);
    const listed = await cli(["list", `127.0.0.1:${tlsPort}`, "--cacert", files.ca]);
    assert.match(listed.out, /grpc.health.v1.Health/);
    const plaintextToTls = await cli(["health", `127.0.0.1:${tlsPort}`, "--plaintext", "--timeout", "3s"]);
    assert.notEqual(plaintextToTls.code, 0);
    assert.equal((await cli(["health", `127.0.0.1:${tlsPort}`, "--plaintext", "--cacert", files.ca])).code, 64);
    assert.match((await cli(["health", `127.0.0.1:${tlsPort}`, "--cacert", "/nonexistent/ca.pem"])).err, /cannot read/);
  });

  test("--cert and --key for mTLS", async () => {
    const ok = await cli(["health", `127.0.0.1:${mtlsPort}`, "--cacert", files.ca, "--cert", files.clientCert, "--key", files.clientKey]);
    assert.equal(ok.code, 0, ok.err);
    const noCert = await cli(["health", `127.0.0.1:${mtlsPort}`, "--cacert", files.ca]);
    assert.equal(noCert.code, Code.UNAVAILABLE);
    const half = await cli(["health", `127.0.0.1:${mtlsPort}`, "--cacert", files.ca, "--cert", files.clientCert]);
    assert.equal(half.code, 64);
  });
});

describe("tsgrpc and a file with imports (well-known types, google/api, extensions)", { timeout: 30_000 }, () => {
  test("describe and call through reflection", async () => {
    const fixture = buildReflectFixture();
    const server = createServer();
    server.service(fixture.events, { getEvent: (e: unknown) => e } as never);
    createReflectionService().register(server);
    const target = `127.0.0.1:${(await server.listen("127.0.0.1:0")).port}`;
    try {
      const msg = await cli(["describe", target, "reflect.test.v1.Event"]);
      assert.equal(msg.code, 0, msg.err);
      assert.match(msg.out, /\.google\.protobuf\.Timestamp at = 2;/);
      assert.match(msg.out, /optional string note = 4;/);
      assert.match(msg.out, /enum Kind \{/);
      const ext = await cli(["describe", target, "reflect.test.v1.level"]);
      assert.match(ext.out, /extend \.reflect\.test\.v1\.Extendable \{\n  optional int32 level = 101;/);
      const res = await cli(["call", target, "reflect.test.v1.Events/GetEvent", "-d", '{"id":"e1","at":"2024-05-06T07:08:09Z","kind":"KIND_ALARM","note":"n","code":"7"}']);
      assert.equal(res.code, 0, res.err);
      assert.deepEqual(jsonOut(res.out), [{ id: "e1", at: "2024-05-06T07:08:09Z", kind: "KIND_ALARM", note: "n", code: "7" }]);
    } finally {
      await server.close({ graceMs: 100 });
      fixture.cleanup();
    }
  });

  test("a type known only from an Any's type URL is fetched through reflection, both ways", async () => {
    const fixture = buildReflectFixture();
    const server = createServer();
    const secret = fixture.registry.getMessage("reflect.test.v1.Secret")!;
    // Given no body, the server answers with a Secret that the client has not seen yet.
    const open = (e: { body?: { typeUrl: string } }) => {
      // A request the client can make without knowing Secret, answered with a Secret in the error details.
      if (e.body?.typeUrl.endsWith("/google.protobuf.StringValue")) {
        throw new RpcError(Code.PERMISSION_DENIED, "wrong code", { details: [createDetail(secret, { code: "hint" } as never)] });
      }
      return e.body ? e : { body: anyPack(secret, create(secret, { code: "7" } as never)) };
    };
    server.service(fixture.registry.getService("reflect.test.v1.Envelopes")!, { open } as never);
    createReflectionService({ files: [fixture.registry.getFile("reflect/test/v1/secret.proto")!] }).register(server);
    const target = `127.0.0.1:${(await server.listen("127.0.0.1:0")).port}`;
    try {
      const fresh = await cli(["call", target, "reflect.test.v1.Envelopes/Open", "-d", "{}"]);
      assert.equal(fresh.code, 0, fresh.err);
      assert.deepEqual(jsonOut(fresh.out), [{ body: { "@type": "type.googleapis.com/reflect.test.v1.Secret", code: "7" } }]);
      const body = { "@type": "type.googleapis.com/reflect.test.v1.Secret", code: "42" };
      const res = await cli(["call", target, "reflect.test.v1.Envelopes/Open", "-d", JSON.stringify({ body })]);
      assert.equal(res.code, 0, res.err);
      assert.deepEqual(jsonOut(res.out), [{ body }]);
      const denied = await cli(["call", target, "reflect.test.v1.Envelopes/Open", "-d", JSON.stringify({ body: { "@type": "type.googleapis.com/google.protobuf.StringValue", value: "x" } })]);
      assert.equal(denied.code, Code.PERMISSION_DENIED);
      assert.match(denied.err, /Details:\n    reflect\.test\.v1\.Secret \{\n      "code": "hint"\n    \}/);
      const unknown = await cli(["call", target, "reflect.test.v1.Envelopes/Open", "-d", JSON.stringify({ body: { "@type": "type.googleapis.com/no.Such" } })]);
      assert.equal(unknown.code, 64);
      assert.match(unknown.err, /no\.Such is not in the type registry/);
    } finally {
      await server.close({ graceMs: 100 });
      fixture.cleanup();
    }
  });
});

describe("tsgrpc against a server that never answers", { timeout: 30_000 }, () => {
  test("reflection and health give up at the deadline with DEADLINE_EXCEEDED", async () => {
    const http2 = await import("node:http2");
    const streams = new Set<import("node:http2").ServerHttp2Stream>();
    const silent = http2.createServer();
    silent.on("stream", (s) => (streams.add(s), s.on("close", () => streams.delete(s))));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const target = `127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      const list = await cli(["list", target, "--timeout", "300ms"]);
      assert.equal(list.code, Code.DEADLINE_EXCEEDED, list.err);
      const health = await cli(["health", target, "--timeout", "300ms"]);
      assert.equal(health.code, Code.DEADLINE_EXCEEDED, health.err);
    } finally {
      for (const s of streams) s.close();
      await new Promise((r) => silent.close(r));
    }
  });
});
