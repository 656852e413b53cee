// gRPC with protobuf JSON (application/grpc+json) against Connect-ES, a
// stack we did not write: its gRPC transport with useBinaryFormat: false
// calling tsgrpc, and tsgrpc's JSON codec calling its gRPC handler.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code as ConnectCode, ConnectError, createClient as createConnectClient, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import { Code, RpcError, createChannel, createClient, createJsonCodec, createServer } from "../../src/index.js";
import { EchoService } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { assertNoLeaks } from "../e2e/leak-check.js";

test("Connect-ES gRPC client with JSON → tsgrpc server: all four kinds and errors", async () => {
  const server = createServer().service(EchoService, {
    async unary(req) {
      if (req.failCode) throw new RpcError(req.failCode, req.failMessage);
      return { payload: req.payload, index: 1 };
    },
    async *serverStream(req) {
      for (let i = 0; i < req.responseCount; i++) yield { index: i };
    },
    async clientStream(reqs) {
      let n = 0;
      for await (const _ of reqs) n++;
      return { receivedCount: n };
    },
    async *bidi(reqs) {
      for await (const r of reqs) yield { payload: r.payload };
    },
  });
  const { port } = await server.listen("127.0.0.1:0");
  const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}`, useBinaryFormat: false });
  const client = createConnectClient(EchoService, transport);
  try {
    const res = await client.unary({ payload: new Uint8Array([1, 2]) }, { timeoutMs: 5000 });
    assert.deepEqual([...res.payload], [1, 2]);
    assert.equal(res.index, 1);
    const streamed: number[] = [];
    for await (const m of client.serverStream({ responseCount: 3 }, { timeoutMs: 5000 })) streamed.push(m.index);
    assert.deepEqual(streamed, [0, 1, 2]);
    assert.equal((await client.clientStream((async function* () { yield {}; yield {}; })(), { timeoutMs: 5000 })).receivedCount, 2);
    const echoed: number[] = [];
    for await (const m of client.bidi((async function* () { yield { payload: new Uint8Array([9]) }; })(), { timeoutMs: 5000 })) echoed.push(m.payload[0]!);
    assert.deepEqual(echoed, [9]);
    await assert.rejects(client.unary({ failCode: Code.NOT_FOUND, failMessage: "no such thing" }, { timeoutMs: 5000 }), (e: unknown) => {
      return e instanceof ConnectError && e.code === ConnectCode.NotFound && e.rawMessage === "no such thing";
    });
  } finally {
    await server.close({ graceMs: 500 });
  }
  await assertNoLeaks();
});

test("tsgrpc client with the JSON codec → Connect-ES gRPC server", async () => {
  const routes = (router: ConnectRouter) =>
    router.service(EchoService, {
      async unary(req, ctx) {
        if (ctx.requestHeader.get("content-type") !== "application/grpc+json") throw new ConnectError("expected JSON", ConnectCode.InvalidArgument);
        if (req.failCode) throw new ConnectError(req.failMessage, req.failCode as number as ConnectCode);
        return { payload: req.payload, index: 2 };
      },
      async *serverStream(req) {
        for (let i = 0; i < req.responseCount; i++) yield { index: i };
      },
    });
  const h2 = http2.createServer(connectNodeAdapter({ routes, grpc: true, connect: false, grpcWeb: false }));
  await new Promise<void>((resolve) => h2.listen(0, "127.0.0.1", resolve));
  const port = (h2.address() as AddressInfo).port;
  const channel = createChannel(`http://127.0.0.1:${port}`, { codec: createJsonCodec() });
  const client = createClient(EchoService, channel);
  try {
    const res = await client.unary({ payload: new Uint8Array([3]) }, { timeoutMs: 5000 });
    assert.deepEqual([...res.payload], [3]);
    assert.equal(res.index, 2);
    const streamed: number[] = [];
    for await (const m of client.serverStream({ responseCount: 2 }, { timeoutMs: 5000 })) streamed.push(m.index);
    assert.deepEqual(streamed, [0, 1]);
    await assert.rejects(client.unary({ failCode: Code.ALREADY_EXISTS, failMessage: "taken" }, { timeoutMs: 5000 }), (e: unknown) => {
      return e instanceof RpcError && e.code === Code.ALREADY_EXISTS && e.rawMessage === "taken";
    });
  } finally {
    channel.close();
    await new Promise<void>((resolve) => {
      h2.close(() => resolve());
      setTimeout(resolve, 1000).unref();
    });
  }
  await assertNoLeaks();
});
