// tsgrpc's Connect clients against a @connectrpc/connect-node server:
// createConnectChannel (HTTP/2; binary, JSON, gzip; all four kinds of call)
// and tsgrpc/web's fetch transports (Connect and gRPC-Web over HTTP/1.1),
// with metadata, errors with details, deadlines and cancellation.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import * as http2 from "node:http2";
import { setTimeout as sleep } from "node:timers/promises";
import { Code as ConnectCode, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Code, RpcError, createClient, createConnectChannel, createJsonCodec, type Channel, type Transport } from "../../src/index.js";
import { createConnectTransport, createGrpcWebTransport } from "../../src/web/index.js";
import { ErrorInfoSchema } from "../../src/status/error-details.js";
import { EchoService } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { assertNoLeaks } from "../e2e/leak-check.js";

/** The test EchoService, written against Connect-ES. */
function routes(router: ConnectRouter): void {
  router.service(EchoService, {
    async unary(req, ctx) {
      for (const [k, v] of ctx.requestHeader) {
        if (k.startsWith("x-header-")) ctx.responseHeader.set(k, v);
        if (k.startsWith("x-trailer-")) ctx.responseTrailer.set(k, v);
      }
      if (req.sleepMs) await sleep(req.sleepMs, undefined, { signal: ctx.signal }).catch(() => undefined);
      if (req.tag === "remaining") return { payload: new TextEncoder().encode(String(ctx.timeoutMs() ?? -1)) };
      if (req.failCode) {
        throw new ConnectError(req.failMessage, req.failCode as number as ConnectCode, { "x-why": "asked" }, [{ desc: ErrorInfoSchema, value: { reason: "ASKED", domain: "connect-node" } }]);
      }
      return { payload: req.payload };
    },
    async *serverStream(req) {
      for (let i = 0; i < req.responseCount; i++) {
        if (req.failCode && i === req.failAfter) throw new ConnectError(req.failMessage, req.failCode as number as ConnectCode);
        yield { payload: req.payload, index: i };
      }
    },
    async clientStream(reqs) {
      let count = 0;
      let bytes = 0n;
      for await (const r of reqs) {
        count++;
        bytes += BigInt(r.payload.length);
      }
      return { receivedCount: count, receivedBytes: bytes };
    },
    async *bidi(reqs) {
      let i = 0;
      for await (const r of reqs) yield { payload: r.payload, index: i++ };
    },
  });
}

describe("tsgrpc Connect clients against a connect-node server", () => {
  let h2: http2.Http2Server;
  let h1: http.Server;
  let h2Url: string;
  let h1Url: string;
  const channels: Channel[] = [];

  before(async () => {
    h2 = http2.createServer(connectNodeAdapter({ routes }));
    h1 = http.createServer(connectNodeAdapter({ routes }));
    await new Promise<void>((ok) => h2.listen(0, "127.0.0.1", ok));
    await new Promise<void>((ok) => h1.listen(0, "127.0.0.1", ok));
    h2Url = `http://127.0.0.1:${(h2.address() as { port: number }).port}`;
    h1Url = `http://127.0.0.1:${(h1.address() as { port: number }).port}`;
  });

  after(async () => {
    for (const c of channels) c.close();
    h1.closeAllConnections();
    await Promise.all([new Promise((ok) => h2.close(ok)), new Promise((ok) => h1.close(ok))]);
    await assertNoLeaks();
  });

  const channel = (o: Parameters<typeof createConnectChannel>[1] = {}) => {
    const c = createConnectChannel(h2Url, o);
    channels.push(c);
    return c;
  };

  const transports: [string, () => Transport, boolean][] = [
    ["createConnectChannel, binary", () => channel(), true],
    ["createConnectChannel, JSON", () => channel({ codec: createJsonCodec() }), true],
    ["createConnectChannel, gzip", () => channel({ compression: "gzip" }), true],
    ["tsgrpc/web Connect over HTTP/1.1", () => createConnectTransport({ baseUrl: h1Url }), false],
    ["tsgrpc/web gRPC-Web over HTTP/1.1", () => createGrpcWebTransport({ baseUrl: h1Url }), false],
  ];

  for (const [name, transport, streamsRequests] of transports) {
    describe(name, () => {
      test("unary with metadata, and server streaming", async () => {
        const client = createClient(EchoService, transport());
        let header: string | undefined;
        let trailer: string | undefined;
        const res = await client.unary(
          { payload: new Uint8Array(2000).fill(3) },
          { metadata: { "x-header-a": "1", "x-trailer-b": "2" }, onHeader: (h) => (header = h.get("x-header-a")), onTrailer: (t) => (trailer = t.get("x-trailer-b")), timeoutMs: 5000 },
        );
        assert.equal(res.payload.length, 2000);
        assert.equal(header, "1");
        assert.equal(trailer, "2");
        const got: number[] = [];
        for await (const m of client.serverStream({ responseCount: 3 }, { timeoutMs: 5000 })) got.push(m.index);
        assert.deepEqual(got, [0, 1, 2]);
      });

      test("an error with details and metadata; a mid-stream error", async () => {
        const client = createClient(EchoService, transport());
        await assert.rejects(client.unary({ failCode: Code.PERMISSION_DENIED, failMessage: "not you ☺" }), (e) => {
          assert.ok(e instanceof RpcError);
          assert.equal(e.code, Code.PERMISSION_DENIED);
          assert.equal(e.rawMessage, "not you ☺");
          assert.equal(e.metadata.get("x-why"), "asked");
          assert.equal(e.findDetails(ErrorInfoSchema)[0]?.reason, "ASKED");
          return true;
        });
        const got: number[] = [];
        await assert.rejects(
          (async () => {
            for await (const m of client.serverStream({ responseCount: 4, failCode: Code.OUT_OF_RANGE, failAfter: 1, failMessage: "end" })) got.push(m.index);
          })(),
          (e) => e instanceof RpcError && e.code === Code.OUT_OF_RANGE && e.rawMessage === "end",
        );
        assert.deepEqual(got, [0]);
      });

      test("the deadline reaches the server, and ends the call", async () => {
        const client = createClient(EchoService, transport());
        const res = await client.unary({ tag: "remaining" }, { timeoutMs: 30_000 });
        const remaining = Number(new TextDecoder().decode(res.payload));
        assert.ok(remaining > 20_000 && remaining <= 30_000, `the server saw ${remaining} ms`);
        await assert.rejects(client.unary({ sleepMs: 3000 }, { timeoutMs: 100 }), (e) => e instanceof RpcError && e.code === Code.DEADLINE_EXCEEDED);
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 50);
        await assert.rejects(client.unary({ sleepMs: 3000 }, { signal: controller.signal }), (e) => e instanceof RpcError && e.code === Code.CANCELLED);
      });

      if (streamsRequests) {
        test("client and bidi streaming", async () => {
          const client = createClient(EchoService, transport());
          async function* requests() {
            for (let i = 0; i < 3; i++) yield { payload: new Uint8Array([i, i]) };
          }
          const sum = await client.clientStream(requests(), { timeoutMs: 5000 });
          assert.equal(sum.receivedCount, 3);
          assert.equal(sum.receivedBytes, 6n);
          const got: number[] = [];
          for await (const m of client.bidi(requests(), { timeoutMs: 5000 })) got.push(m.payload[0]!);
          assert.deepEqual(got, [0, 1, 2]);
        });
      }
    });
  }
});
