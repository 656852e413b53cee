// The echo contract over tsgrpc/testing's transports: in memory (no socket,
// no HTTP/2) and over an in-process socket pair (full HTTP/2, no port).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Code, RpcError, createClient, createServer } from "../../src/index.js";
import { createInMemoryTransport, createSocketPairTransport } from "../../src/testing/index.js";
import { EchoService } from "../e2e/echo-service.js";
import { runEchoContract, tsgrpcPairing } from "../e2e/echo-contract.js";
import { assertNoLeaks } from "../e2e/leak-check.js";

runEchoContract(
  "tsgrpc client → tsgrpc server, in memory",
  tsgrpcPairing(async (server) => ({ transport: createInMemoryTransport(server) })),
);

runEchoContract(
  "tsgrpc client → tsgrpc server, over a socket pair",
  tsgrpcPairing(async (server) => {
    const channel = createSocketPairTransport(server);
    return { transport: channel, close: () => channel.close() };
  }),
);

test("in memory: server interceptors run, and unknown methods are UNIMPLEMENTED", async () => {
  const seen: string[] = [];
  const server = createServer({
    interceptors: [
      (next) => async (req) => {
        seen.push(`${req.side}:${req.method.name}:${req.header.get("x-who") as string}`);
        return next(req);
      },
    ],
  }).service(EchoService, { async unary(req) { return { payload: req.payload }; } });
  const client = createClient(EchoService, createInMemoryTransport(server));
  await client.unary({}, { metadata: { "x-who": "me" } });
  assert.deepEqual(seen, ["server:Unary:me"]);
  await assert.rejects(client.clientStream((async function* () {})()), (e: unknown) => e instanceof RpcError && e.code === Code.UNIMPLEMENTED);
  await server.close({ graceMs: 100 });
});

test("in memory: a handler never shares an object with its caller", async () => {
  let received: Uint8Array | undefined;
  const server = createServer().service(EchoService, {
    async unary(req) {
      received = req.payload;
      return { payload: req.payload };
    },
  });
  const client = createClient(EchoService, createInMemoryTransport(server));
  const payload = new Uint8Array([1, 2, 3]);
  const res = await client.unary({ payload });
  assert.notEqual(received, payload);
  assert.notEqual(res.payload, received);
  assert.deepEqual([...res.payload], [1, 2, 3]);
  await server.close({ graceMs: 100 });
});

test("in memory: a closed server refuses calls with UNAVAILABLE, and close waits for calls in flight", async () => {
  let release!: () => void;
  const server = createServer().service(EchoService, {
    async unary(req) {
      await new Promise<void>((r) => (release = r));
      return { payload: req.payload };
    },
  });
  const client = createClient(EchoService, createInMemoryTransport(server));
  const inFlight = client.unary({ payload: new Uint8Array([7]) });
  await new Promise((r) => setTimeout(r, 20));
  const closed = server.close({ graceMs: 5000 });
  await assert.rejects(client.unary({}), (e: unknown) => e instanceof RpcError && e.code === Code.UNAVAILABLE);
  release();
  assert.deepEqual([...(await inFlight).payload], [7]);
  await closed;
});

test("socket pair: server close ends the connection; later calls fail with UNAVAILABLE", async () => {
  const server = createServer().service(EchoService, { async unary(req) { return { payload: req.payload }; } });
  const channel = createSocketPairTransport(server);
  const client = createClient(EchoService, channel);
  await client.unary({});
  await server.close({ graceMs: 100 });
  await assert.rejects(client.unary({}, { timeoutMs: 2000 }), (e: unknown) => e instanceof RpcError && e.code === Code.UNAVAILABLE);
  channel.close();
  await assertNoLeaks();
});

test("a handler's context is its own object: none of the call's machinery is reachable", async () => {
  let ctx: Record<string, unknown> | undefined;
  const server = createServer().service(EchoService, {
    async unary(_req, c) {
      ctx = c as unknown as Record<string, unknown>;
      return {};
    },
  });
  await createClient(EchoService, createInMemoryTransport(server)).unary({});
  for (const name of ["onData", "onClose", "abortForShutdown", "requestEnd", "message", "wire", "fail"]) assert.equal(ctx![name], undefined, name);
  assert.equal(typeof ctx!.sendHeader, "function");
  assert.equal(ctx!.peer, "in-memory");
  await server.close({ graceMs: 100 });
});
