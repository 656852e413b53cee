import { test } from "node:test";
import assert from "node:assert/strict";
import { Code, RpcError, createChannel, createClient, createServer, type Interceptor } from "../../src/index.js";
import { EchoService, echoService, createObservations } from "./echo-service.js";
import { runEchoContract, tsgrpcPairing } from "./echo-contract.js";
import { assertNoLeaks } from "./leak-check.js";

runEchoContract(
  "tsgrpc client → tsgrpc server",
  tsgrpcPairing(async (server) => {
    const { port } = await server.listen("127.0.0.1:0");
    const channel = createChannel(`http://127.0.0.1:${port}`);
    return { transport: channel, close: () => channel.close() };
  }),
);

test("unknown service and unknown method: UNIMPLEMENTED", async () => {
  const server = createServer().service(EchoService, { async unary() { return {}; } });
  const { port } = await server.listen("127.0.0.1:0");
  const channel = createChannel(`http://127.0.0.1:${port}`);
  const client = createClient(EchoService, channel);
  await assert.rejects(
    (async () => {
      for await (const _ of client.serverStream({})) void _;
    })(),
    (e: unknown) => e instanceof RpcError && e.code === Code.UNIMPLEMENTED && /serverStream|ServerStream/.test(e.rawMessage),
  );
  const empty = createServer();
  const other = await empty.listen("127.0.0.1:0");
  const channel2 = createChannel(`http://127.0.0.1:${other.port}`);
  await assert.rejects(createClient(EchoService, channel2).unary({}), (e: unknown) => e instanceof RpcError && e.code === Code.UNIMPLEMENTED && /unknown service/.test(e.rawMessage));
  channel.close();
  channel2.close();
  await server.close();
  await empty.close();
});

test("a handler's unexpected error is UNKNOWN with a generic message; the details stay in the server log", async () => {
  const logged: unknown[] = [];
  const server = createServer({ onHandlerError: (e) => logged.push(e) }).service(EchoService, {
    async unary() {
      throw new Error("secret database password in a stack trace");
    },
  });
  const { port } = await server.listen("127.0.0.1:0");
  const channel = createChannel(`http://127.0.0.1:${port}`);
  await assert.rejects(createClient(EchoService, channel).unary({}), (e: unknown) => {
    assert.ok(e instanceof RpcError);
    assert.equal(e.code, Code.UNKNOWN);
    assert.doesNotMatch(e.rawMessage, /secret/);
    return true;
  });
  assert.equal(logged.length, 1);
  channel.close();
  await server.close();
});

test("a client that cannot connect gets UNAVAILABLE", async () => {
  const server = createServer();
  const { port } = await server.listen("127.0.0.1:0");
  await server.close();
  const channel = createChannel(`http://127.0.0.1:${port}`);
  await assert.rejects(createClient(EchoService, channel).unary({}), (e: unknown) => e instanceof RpcError && e.code === Code.UNAVAILABLE);
  channel.close();
});

for (const withInterceptor of [false, true]) {
  test(`handlers' results, ${withInterceptor ? "through an interceptor" : "run directly (no interceptor)"}: a plain init returned synchronously, a failure, a stream handler that returns no iterable`, async () => {
    const logged: unknown[] = [];
    const passthrough: Interceptor = (next) => next;
    const server = createServer({ onHandlerError: (e) => logged.push(e), interceptors: withInterceptor ? [passthrough] : [] }).service(EchoService, {
      unary: ((req: { payload: Uint8Array }) => ({ payload: req.payload })) as never,
      serverStream: (() => ({ not: "iterable" })) as never,
      bidi: (() => {
        throw new Error("sync failure");
      }) as never,
    });
    const { port } = await server.listen("127.0.0.1:0");
    const channel = createChannel(`http://127.0.0.1:${port}`);
    const client = createClient(EchoService, channel);
    const res = await client.unary({ payload: new Uint8Array([7]) });
    assert.deepEqual([...res.payload], [7]);
    const unknown = (e: unknown) => e instanceof RpcError && e.code === Code.UNKNOWN;
    await assert.rejects(async () => {
      for await (const _ of client.serverStream({})) void _;
    }, unknown);
    await assert.rejects(async () => {
      for await (const _ of client.bidi((async function* () {})())) void _;
    }, unknown);
    assert.equal(logged.length, 2);
    assert.match(String(logged[0]), /TypeError: tsgrpc\.test\.v1\.EchoService\.serverStream must return an async iterable/);
    assert.match(String(logged[1]), /sync failure/);
    channel.close();
    await server.close();
  });
}
