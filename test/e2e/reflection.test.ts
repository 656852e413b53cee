// Server reflection, v1 and v1alpha, over a real socket: a file with imports
// (well-known types, google/api/annotations.proto) and extensions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromBinary, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, createChannel, createClient, createServer } from "../../src/index.js";
import { createReflectionService, ServerReflectionV1, ServerReflectionV1Alpha } from "../../src/reflection/index.js";
import { createHealthService } from "../../src/health/index.js";
import { buildReflectFixture } from "./reflect-fixture.js";
import { assertNoLeaks } from "./leak-check.js";

type Req = { host?: string; messageRequest: { case: string; value: unknown } | { case: undefined } };

async function exchange(service: DescService, port: number, requests: Req[]) {
  const channel = createChannel(`http://127.0.0.1:${port}`);
  try {
    const client = createClient(service, channel) as unknown as Record<string, (r: AsyncIterable<Req>) => AsyncIterable<Record<string, never>>>;
    const out = [];
    for await (const r of client.serverReflectionInfo!((async function* () { yield* requests; })())) out.push(r);
    return out as unknown as { validHost: string; messageResponse: { case: string; value: any } }[];
  } finally {
    channel.close();
  }
}

const names = (value: { fileDescriptorProto: Uint8Array[] }) => value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b).name);

test("reflection answers every request kind, v1 and v1alpha, with transitive imports sent once per stream", { timeout: 20_000 }, async () => {
  const fixture = buildReflectFixture();
  const server = createServer();
  server.service(fixture.events, { getEvent: (e: unknown) => e } as never);
  createHealthService().register(server);
  createReflectionService().register(server);
  const { port } = await server.listen("127.0.0.1:0");
  try {
    for (const version of [ServerReflectionV1, ServerReflectionV1Alpha]) {
      const res = await exchange(version, port, [
        { host: "h", messageRequest: { case: "listServices", value: "" } },
        { messageRequest: { case: "fileContainingSymbol", value: "reflect.test.v1.Events" } },
        { messageRequest: { case: "fileByFilename", value: "google/protobuf/timestamp.proto" } },
        { messageRequest: { case: "fileContainingSymbol", value: ".reflect.test.v1.Events.GetEvent" } },
        { messageRequest: { case: "fileContainingSymbol", value: "reflect.test.v1.Event.Kind" } },
        { messageRequest: { case: "fileContainingSymbol", value: "reflect.test.v1.Event.KIND_ALARM" } },
        { messageRequest: { case: "fileContainingSymbol", value: "reflect.test.v1.Event.at" } },
        { messageRequest: { case: "fileContainingExtension", value: { containingType: "reflect.test.v1.Extendable", extensionNumber: 101 } } },
        { messageRequest: { case: "fileContainingExtension", value: { containingType: "google.protobuf.MethodOptions", extensionNumber: 72295728 } } },
        { messageRequest: { case: "allExtensionNumbersOfType", value: "reflect.test.v1.Extendable" } },
        { messageRequest: { case: "allExtensionNumbersOfType", value: "google.protobuf.MethodOptions" } },
        { messageRequest: { case: "fileContainingSymbol", value: "no.Such" } },
        { messageRequest: { case: "fileByFilename", value: "no/such.proto" } },
        { messageRequest: { case: "fileContainingExtension", value: { containingType: "reflect.test.v1.Extendable", extensionNumber: 150 } } },
        { messageRequest: { case: "allExtensionNumbersOfType", value: "no.Such" } },
        { messageRequest: { case: undefined } },
      ]);
      assert.equal(res.length, 16);
      assert.equal(res[0]!.validHost, "h");
      assert.deepEqual(res[0]!.messageResponse.value.service.map((s: { name: string }) => s.name), [
        "reflect.test.v1.Events",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ]);
      // The file first, then everything it imports, transitively, each after its own imports.
      assert.deepEqual(names(res[1]!.messageResponse.value), [
        "reflect/test/v1/events.proto",
        "google/api/http.proto",
        "google/protobuf/descriptor.proto",
        "google/api/annotations.proto",
        "google/protobuf/timestamp.proto",
        "reflect/test/v1/base.proto",
        "reflect/test/v1/more.proto",
      ]);
      const events = fromBinary(FileDescriptorProtoSchema, res[1]!.messageResponse.value.fileDescriptorProto[0]);
      assert.deepEqual(events.dependency, ["google/api/annotations.proto", "google/protobuf/descriptor.proto", "google/protobuf/timestamp.proto", "reflect/test/v1/more.proto"]);
      assert.equal(events.extension[0]?.name, "audit");
      // Asked for explicitly, a file comes again; its imports, already sent on this stream, do not.
      assert.deepEqual(names(res[2]!.messageResponse.value), ["google/protobuf/timestamp.proto"]);
      for (const i of [3, 4, 5, 6]) assert.deepEqual(names(res[i]!.messageResponse.value), ["reflect/test/v1/events.proto"], `request ${i}`);
      assert.deepEqual(names(res[7]!.messageResponse.value), ["reflect/test/v1/more.proto"]);
      assert.deepEqual(names(res[8]!.messageResponse.value), ["google/api/annotations.proto"]);
      assert.deepEqual(res[9]!.messageResponse.value, { $typeName: res[9]!.messageResponse.value.$typeName, baseTypeName: "reflect.test.v1.Extendable", extensionNumber: [100, 101] });
      assert.deepEqual(res[10]!.messageResponse.value.extensionNumber, [50001, 72295728]);
      for (const i of [11, 12, 13, 14]) {
        assert.equal(res[i]!.messageResponse.case, "errorResponse", `request ${i}`);
        assert.equal(res[i]!.messageResponse.value.errorCode, Code.NOT_FOUND);
      }
      assert.equal(res[15]!.messageResponse.value.errorCode, Code.INVALID_ARGUMENT);
    }
  } finally {
    await server.close({ graceMs: 100 });
    fixture.cleanup();
  }
  await assertNoLeaks();
});

test("reflection sees services registered after it, and a fixed list when given one", { timeout: 10_000 }, async () => {
  const fixture = buildReflectFixture();
  const server = createServer();
  createReflectionService().register(server);
  const { port } = await server.listen("127.0.0.1:0");
  const list = async () =>
    (await exchange(ServerReflectionV1, port, [{ messageRequest: { case: "listServices", value: "" } }]))[0]!.messageResponse.value.service.map((s: { name: string }) => s.name);
  try {
    assert.deepEqual(await list(), ["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]);
    server.service(fixture.events, {} as never);
    assert.equal((await list()).at(-1), "reflect.test.v1.Events");
  } finally {
    await server.close({ graceMs: 100 });
  }
  const fixed = createServer();
  createReflectionService({ services: [fixture.events] }).register(fixed);
  const { port: p2 } = await fixed.listen("127.0.0.1:0");
  try {
    const res = await exchange(ServerReflectionV1, p2, [{ messageRequest: { case: "listServices", value: "" } }]);
    assert.deepEqual(res[0]!.messageResponse.value.service.map((s: { name: string }) => s.name), ["reflect.test.v1.Events"]);
  } finally {
    await fixed.close({ graceMs: 100 });
    fixture.cleanup();
  }
});

test("a grpc-js reflection client (proto-loader stubs of upstream's reflection.proto) reads our reflection", { timeout: 20_000 }, async () => {
  const grpc = await import("@grpc/grpc-js");
  const protoLoader = await import("@grpc/proto-loader");
  const { dirname, resolve } = await import("node:path");
  const { fileURLToPath } = await import("node:url");
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../third_party/grpc-protos");
  const definition = protoLoader.loadSync("grpc/reflection/v1alpha/reflection.proto", { includeDirs: [root], oneofs: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { grpc: { reflection: { v1alpha: { ServerReflection: new (addr: string, creds: unknown) => any } } } };
  const fixture = buildReflectFixture();
  const server = createServer();
  server.service(fixture.events, {} as never);
  createReflectionService().register(server);
  const { port } = await server.listen("127.0.0.1:0");
  const client = new pkg.grpc.reflection.v1alpha.ServerReflection(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    const call = client.serverReflectionInfo();
    const answers: any[] = [];
    const done = new Promise<void>((resolveDone, reject) => {
      call.on("data", (r: unknown) => answers.push(r));
      call.on("end", resolveDone);
      call.on("error", reject);
    });
    call.write({ listServices: "*" });
    call.write({ fileContainingSymbol: "reflect.test.v1.Event" });
    call.write({ fileContainingSymbol: "nope.Nope" });
    call.end();
    await done;
    assert.deepEqual(answers[0].listServicesResponse.service.map((s: { name: string }) => s.name), ["reflect.test.v1.Events", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]);
    const files = answers[1].fileDescriptorResponse.fileDescriptorProto.map((b: Buffer) => fromBinary(FileDescriptorProtoSchema, b).name);
    assert.equal(files[0], "reflect/test/v1/events.proto");
    assert.ok(files.includes("google/protobuf/timestamp.proto"));
    assert.equal(answers[2].errorResponse.errorCode, Code.NOT_FOUND);
  } finally {
    client.close();
    await server.close({ graceMs: 100 });
    fixture.cleanup();
  }
});
