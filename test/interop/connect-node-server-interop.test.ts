// @connectrpc/connect-node's Connect and gRPC-Web clients against a tsgrpc
// server: every RPC kind each transport can carry, over HTTP/1.1 and HTTP/2,
// binary and JSON, compressed, with metadata both ways, errors with details,
// timeouts and unknown methods.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Code as ConnectCode, ConnectError, createClient as createConnectClient, type Transport as ConnectTransport } from "@connectrpc/connect";
import { compressionGzip, createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { Code, RpcError, createDetail, createServer, type Server } from "../../src/index.js";
import { ErrorInfoSchema } from "../../src/status/error-details.js";
import { EchoService } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { UserService } from "../../examples/users/gen/users/v1/users_pb.js";
import { createObservations, echoService } from "../e2e/echo-service.js";
import { assertNoLeaks } from "../e2e/leak-check.js";

interface Case {
  name: string;
  transport: (baseUrl: string) => ConnectTransport;
  http2: boolean;
}

const cases: Case[] = [
  { name: "Connect, binary, HTTP/1.1", transport: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1" }), http2: false },
  { name: "Connect, JSON, HTTP/1.1", transport: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false }), http2: false },
  { name: "Connect, binary, HTTP/2", transport: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2" }), http2: true },
  {
    name: "Connect, gzip both ways, HTTP/2",
    transport: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2", sendCompression: compressionGzip, acceptCompression: [compressionGzip], compressMinBytes: 1 }),
    http2: true,
  },
  {
    name: "Connect GET, JSON, HTTP/1.1",
    transport: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false, useHttpGet: true }),
    http2: false,
  },
  { name: "gRPC-Web, binary, HTTP/1.1", transport: (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }), http2: false },
  { name: "gRPC-Web, JSON, HTTP/2", transport: (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "2", useBinaryFormat: false }), http2: true },
  {
    name: "gRPC-Web, gzip both ways, HTTP/2",
    transport: (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "2", sendCompression: compressionGzip, acceptCompression: [compressionGzip], compressMinBytes: 1 }),
    http2: true,
  },
];

describe("connect-node clients against a tsgrpc server", () => {
  let server: Server;
  let baseUrl: string;
  const observe = createObservations();

  before(async () => {
    const impl = echoService(observe);
    server = createServer({ compression: "gzip" }).service(EchoService, {
      ...impl,
      async unary(req, ctx) {
        if (req.tag === "details") {
          throw new RpcError(Code.FAILED_PRECONDITION, "no stock ☺", {
            details: [createDetail(ErrorInfoSchema, { reason: "STOCKOUT", domain: "shop.example" })],
            metadata: { "x-why": "stock" },
          });
        }
        if (req.tag === "remaining") return { payload: new TextEncoder().encode(String((ctx.deadline ?? 0) - Date.now())) };
        return impl.unary!(req, ctx);
      },
    });
    const { port } = await server.listen("127.0.0.1:0");
    baseUrl = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    await server.close({ graceMs: 100 });
    await assertNoLeaks();
  });

  for (const c of cases) {
    describe(c.name, () => {
      const client = () => createConnectClient(EchoService, c.transport(baseUrl));

      test("unary, with headers and trailers", async () => {
        let header: Headers | undefined;
        let trailer: Headers | undefined;
        const res = await client().unary(
          { payload: new Uint8Array([1, 2, 3]) },
          { headers: { "x-header-a": "one", "x-trailer-b": "two" }, onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t), signal: AbortSignal.timeout(5000) },
        );
        assert.deepEqual([...res.payload], [1, 2, 3]);
        assert.equal(header?.get("x-header-a"), "one");
        assert.equal(trailer?.get("x-trailer-b"), "two");
      });

      test("server streaming", async () => {
        const got: number[] = [];
        for await (const m of client().serverStream({ payload: new Uint8Array(300).fill(7), responseCount: 5 }, { signal: AbortSignal.timeout(5000) })) {
          assert.equal(m.payload.length, 300);
          got.push(m.index);
        }
        assert.deepEqual(got, [0, 1, 2, 3, 4]);
      });

      test("server streaming that fails after some messages", async () => {
        const got: number[] = [];
        await assert.rejects(
          (async () => {
            for await (const m of client().serverStream({ responseCount: 5, failCode: Code.ABORTED, failAfter: 2, failMessage: "midway" })) got.push(m.index);
          })(),
          (e) => ConnectError.from(e).code === ConnectCode.Aborted && ConnectError.from(e).rawMessage === "midway",
        );
        assert.deepEqual(got, [0, 1]);
      });

      test("client streaming", async () => {
        async function* requests() {
          for (let i = 0; i < 4; i++) yield { payload: new Uint8Array(10) };
        }
        const res = await client().clientStream(requests(), { signal: AbortSignal.timeout(5000) });
        assert.equal(res.receivedCount, 4);
        assert.equal(res.receivedBytes, 40n);
      });

      if (c.http2) {
        test("bidi streaming", async () => {
          async function* requests() {
            for (let i = 0; i < 3; i++) yield { payload: new Uint8Array([i]) };
          }
          const got: number[] = [];
          for await (const m of client().bidi(requests(), { signal: AbortSignal.timeout(5000) })) got.push(m.payload[0]!);
          assert.deepEqual(got, [0, 1, 2]);
        });
      }

      test("an error with details and metadata", async () => {
        await assert.rejects(client().unary({ tag: "details" }), (e) => {
          const err = ConnectError.from(e);
          assert.equal(err.code, ConnectCode.FailedPrecondition);
          assert.equal(err.rawMessage, "no stock ☺");
          assert.equal(err.metadata.get("x-why"), "stock");
          const [info] = err.findDetails(ErrorInfoSchema);
          assert.equal(info?.reason, "STOCKOUT");
          return true;
        });
      });

      test("the deadline reaches the handler, and ends the call", async () => {
        const res = await client().unary({ tag: "remaining" }, { timeoutMs: 30_000 });
        const remaining = Number(new TextDecoder().decode(res.payload));
        assert.ok(remaining > 20_000 && remaining <= 30_000, `the handler saw ${remaining} ms left`);
        const tag = `deadline-${c.name}`;
        await assert.rejects(client().unary({ sleepMs: 5000, tag }, { timeoutMs: 100 }), (e) => ConnectError.from(e).code === ConnectCode.DeadlineExceeded);
        // The client gives up at the same moment: whichever side is first, the handler stops.
        assert.ok([Code.DEADLINE_EXCEEDED, Code.CANCELLED].includes(await observe.aborted(tag)));
      });

      test("an unknown service is UNIMPLEMENTED", async () => {
        const other = createConnectClient(UserService, c.transport(baseUrl));
        await assert.rejects(other.getUser({ id: "1" }), (e) => ConnectError.from(e).code === ConnectCode.Unimplemented);
      });
    });
  }
});
