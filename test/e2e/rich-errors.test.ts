// Rich errors (google.rpc.Status in grpc-status-details-bin) both ways:
// tsgrpc ↔ tsgrpc, grpc-js server → tsgrpc client, tsgrpc server → grpc-js client.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, RpcError, createChannel, createClient, createDetail, createServer, createWritableIterable } from "../../src/index.js";
import {
  BadRequestSchema,
  DebugInfoSchema,
  ErrorInfoSchema,
  HelpSchema,
  LocalizedMessageSchema,
  PreconditionFailureSchema,
  QuotaFailureSchema,
  RequestInfoSchema,
  ResourceInfoSchema,
  RetryInfoSchema,
  StatusSchema,
} from "../../src/status/error-details.js";
import { grpcJsService } from "../../interop/grpc-js/service-definition.js";
import { EchoService, EchoRequestSchema, type EchoRequest } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { assertNoLeaks } from "./leak-check.js";

/** One of every standard detail. */
function allDetails() {
  return [
    createDetail(ErrorInfoSchema, { reason: "STOCKOUT", domain: "shop.example", metadata: { sku: "42" } }),
    createDetail(BadRequestSchema, { fieldViolations: [{ field: "email", description: "not an address" }] }),
    createDetail(RetryInfoSchema, { retryDelay: { seconds: 2n, nanos: 500 } }),
    createDetail(QuotaFailureSchema, { violations: [{ subject: "project:7", description: "daily limit" }] }),
    createDetail(PreconditionFailureSchema, { violations: [{ type: "TOS", subject: "user:1", description: "not accepted" }] }),
    createDetail(ResourceInfoSchema, { resourceType: "book", resourceName: "shelves/1/books/2", owner: "u1", description: "gone" }),
    createDetail(DebugInfoSchema, { stackEntries: ["a.ts:1", "b.ts:2"], detail: "boom" }),
    createDetail(LocalizedMessageSchema, { locale: "fr-FR", message: "épuisé" }),
    createDetail(HelpSchema, { links: [{ description: "docs", url: "https://example.com/help" }] }),
    createDetail(RequestInfoSchema, { requestId: "req-1", servingData: "x" }),
  ];
}

function checkAll(e: RpcError): void {
  assert.equal(e.code, Code.FAILED_PRECONDITION);
  assert.equal(e.rawMessage, "rich ☺");
  assert.equal(e.details.length, 10);
  assert.equal(e.findDetails(ErrorInfoSchema)[0]?.metadata["sku"], "42");
  assert.equal(e.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field, "email");
  assert.equal(e.findDetails(RetryInfoSchema)[0]?.retryDelay?.seconds, 2n);
  assert.equal(e.findDetails(QuotaFailureSchema)[0]?.violations[0]?.subject, "project:7");
  assert.equal(e.findDetails(PreconditionFailureSchema)[0]?.violations[0]?.type, "TOS");
  assert.equal(e.findDetails(ResourceInfoSchema)[0]?.resourceName, "shelves/1/books/2");
  assert.deepEqual(e.findDetails(DebugInfoSchema)[0]?.stackEntries, ["a.ts:1", "b.ts:2"]);
  assert.equal(e.findDetails(LocalizedMessageSchema)[0]?.message, "épuisé");
  assert.equal(e.findDetails(HelpSchema)[0]?.links[0]?.url, "https://example.com/help");
  assert.equal(e.findDetails(RequestInfoSchema)[0]?.requestId, "req-1");
}

const richError = () => new RpcError(Code.FAILED_PRECONDITION, "rich ☺", { details: allDetails(), metadata: { "x-also": "kept" } });

async function rejects(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RpcError, String(e));
    return e;
  }
  assert.fail("the call succeeded");
}

describe("rich error details", { timeout: 30_000 }, () => {
  test("tsgrpc server → tsgrpc client, all four kinds, trailers-only and after messages", async () => {
    const server = createServer().service(EchoService, {
      async unary() {
        throw richError();
      },
      async *serverStream() {
        yield {};
        throw richError();
      },
      async clientStream(reqs) {
        for await (const _ of reqs) void _;
        throw richError();
      },
      async *bidi(reqs) {
        for await (const _ of reqs) yield {};
        throw richError();
      },
    });
    const { port } = await server.listen("127.0.0.1:0");
    const channel = createChannel(`http://127.0.0.1:${port}`);
    const client = createClient(EchoService, channel);
    const e1 = await rejects(client.unary({}));
    checkAll(e1);
    assert.equal(e1.metadata.get("x-also"), "kept");
    let got = 0;
    checkAll(await rejects((async () => { for await (const _ of client.serverStream({})) got++; })()));
    assert.equal(got, 1);
    const w = createWritableIterable<{}>();
    const p = client.clientStream(w);
    await w.write({});
    w.close();
    checkAll(await rejects(p));
    checkAll(await rejects((async () => { for await (const _ of client.bidi((async function* () { yield {}; })())) void _; })()));
    channel.close();
    await server.close();
    await assertNoLeaks();
  });

  test("an error without details has none", async () => {
    const server = createServer().service(EchoService, {
      async unary() {
        throw new RpcError(Code.NOT_FOUND, "plain");
      },
    });
    const { port } = await server.listen("127.0.0.1:0");
    const channel = createChannel(`http://127.0.0.1:${port}`);
    const e = await rejects(createClient(EchoService, channel).unary({}));
    assert.deepEqual(e.details, []);
    assert.deepEqual(e.findDetails(ErrorInfoSchema), []);
    channel.close();
    await server.close();
  });

  test("grpc-js server → tsgrpc client: details read back typed", async () => {
    const server = new grpc.Server();
    server.addService(grpcJsService(EchoService), {
      unary(_call: grpc.ServerUnaryCall<EchoRequest, object>, cb: grpc.sendUnaryData<object>) {
        const md = new grpc.Metadata();
        const status = create(StatusSchema, {
          code: Code.FAILED_PRECONDITION,
          message: "rich ☺",
          details: allDetails().map((d) => ({ typeUrl: `type.googleapis.com/${d.type}`, value: d.value })),
        });
        md.set("grpc-status-details-bin", Buffer.from(toBinary(StatusSchema, status)));
        md.set("x-also", "kept");
        cb({ code: grpc.status.FAILED_PRECONDITION, details: "rich ☺", metadata: md });
      },
    } as grpc.UntypedServiceImplementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    const channel = createChannel(`http://127.0.0.1:${port}`);
    const e = await rejects(createClient(EchoService, channel).unary({}));
    checkAll(e);
    assert.equal(e.metadata.get("x-also"), "kept");
    channel.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  test("tsgrpc server → grpc-js client: grpc-status-details-bin decodes to the same google.rpc.Status", async () => {
    const server = createServer().service(EchoService, {
      async unary() {
        throw richError();
      },
    });
    const { port } = await server.listen("127.0.0.1:0");
    const Ctor = grpc.makeGenericClientConstructor(grpcJsService(EchoService), "EchoService");
    const c = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as Record<string, Function> & grpc.Client;
    const err = await new Promise<grpc.ServiceError>((resolve, reject) =>
      c.unary(create(EchoRequestSchema, {}), (e: grpc.ServiceError | null) => (e ? resolve(e) : reject(new Error("succeeded")))),
    );
    assert.equal(err.code, grpc.status.FAILED_PRECONDITION);
    assert.equal(err.details, "rich ☺");
    const [bin] = err.metadata.get("grpc-status-details-bin") as Buffer[];
    assert.ok(bin, "grpc-js saw no grpc-status-details-bin");
    const status = fromBinary(StatusSchema, bin);
    assert.equal(status.code, Code.FAILED_PRECONDITION);
    assert.equal(status.message, "rich ☺");
    assert.deepEqual(
      status.details.map((a) => a.typeUrl),
      allDetails().map((d) => `type.googleapis.com/${d.type}`),
    );
    const info = fromBinary(ErrorInfoSchema, status.details[0]!.value);
    assert.equal(info.reason, "STOCKOUT");
    c.close();
    await server.close();
  });
});
