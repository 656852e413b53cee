// Limits: message sizes per server, channel and call (unlimited allowed), the
// request header cap, and maxConcurrentStreams per connection.
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { Code, createChannel, createClient, createServer, type ChannelOptions, type Server, type ServerOptions, type Channel } from "../../src/index.js";
import { grpcJsService } from "../../interop/grpc-js/service-definition.js";
import { EchoService, EchoRequestSchema } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { echoService } from "./echo-service.js";
import { rejection } from "./interceptor-helpers.js";
import { assertNoLeaks } from "./leak-check.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const servers: Server[] = [];
const channels: Channel[] = [];

async function pair(serverOptions: ServerOptions = {}, channelOptions: ChannelOptions = {}) {
  const server = createServer(serverOptions).service(EchoService, echoService());
  servers.push(server);
  const { port } = await server.listen("127.0.0.1:0");
  const channel = createChannel(`http://127.0.0.1:${port}`, channelOptions);
  channels.push(channel);
  return { client: createClient(EchoService, channel), port };
}

after(async () => {
  for (const c of channels) c.close();
  for (const s of servers) await s.close({ graceMs: 500 });
  await assertNoLeaks();
});

describe("message size limits", { timeout: 60_000 }, () => {
  test("server: receive and send limits, and unlimited", async () => {
    const { client } = await pair({ maxReceiveBytes: 1 * KiB, maxSendBytes: 2 * KiB });
    await client.unary({ payload: new Uint8Array(900) });
    const e1 = await rejection(client.unary({ payload: new Uint8Array(2 * KiB) }));
    assert.equal(e1.code, Code.RESOURCE_EXHAUSTED);
    const e2 = await rejection(client.unary({ responseSize: 3 * KiB }));
    assert.equal(e2.code, Code.RESOURCE_EXHAUSTED);
    const { client: open } = await pair({ maxReceiveBytes: Infinity, maxSendBytes: Infinity }, { maxReceiveBytes: Infinity });
    const big = await open.unary({ payload: new Uint8Array(5 * MiB).fill(1) });
    assert.equal(big.payload.byteLength, 5 * MiB, "over the 4 MiB defaults both ways");
  });

  test("channel limits, and per-call limits that override them", async () => {
    const { client } = await pair({ maxReceiveBytes: Infinity }, { maxReceiveBytes: 1 * KiB, maxSendBytes: 1 * KiB });
    const e1 = await rejection(client.unary({ responseSize: 2 * KiB }));
    assert.equal(e1.code, Code.RESOURCE_EXHAUSTED);
    await client.unary({ responseSize: 2 * KiB }, { maxReceiveBytes: 4 * KiB });
    const e2 = await rejection(client.unary({ payload: new Uint8Array(2 * KiB) }));
    assert.equal(e2.code, Code.RESOURCE_EXHAUSTED);
    assert.match(e2.rawMessage, /send limit/);
    await client.unary({ payload: new Uint8Array(2 * KiB) }, { maxSendBytes: Infinity, maxReceiveBytes: Infinity });
    const e3 = await rejection(client.unary({ payload: new Uint8Array(100) }, { maxSendBytes: 10 }));
    assert.equal(e3.code, Code.RESOURCE_EXHAUSTED);
    // Streams too: the limit applies per message.
    const got: number[] = [];
    const e4 = await rejection(
      (async () => {
        for await (const m of client.serverStream({ responseCount: 3, responseSize: 2 * KiB }, { maxReceiveBytes: 1 * KiB })) got.push(m.index);
      })(),
    );
    assert.equal(e4.code, Code.RESOURCE_EXHAUSTED);
    assert.deepEqual(got, []);
  });

  test("invalid limits are TypeErrors at construction", () => {
    assert.throws(() => createServer({ maxReceiveBytes: -1 }), TypeError);
    assert.throws(() => createChannel("http://127.0.0.1:1", { maxSendBytes: 1.5 }), TypeError);
    assert.throws(() => createServer({ maxRequestHeaderBytes: 100 }), TypeError);
    assert.throws(() => createServer({ maxConcurrentStreams: 0 }), TypeError);
  });
});

describe("request header cap", { timeout: 60_000 }, () => {
  test("8 KiB by default: a larger request is RESOURCE_EXHAUSTED, on a fresh connection and a warm one; the server keeps serving", async () => {
    const { client } = await pair();
    const big = { "x-big": "a".repeat(9 * KiB) };
    // First call of the connection: before the client has acknowledged the server's SETTINGS.
    const e1 = await rejection(client.unary({}, { metadata: big }));
    assert.equal(e1.code, Code.RESOURCE_EXHAUSTED, e1.message);
    await client.unary({});
    const e2 = await rejection(client.unary({}, { metadata: big }));
    assert.equal(e2.code, Code.RESOURCE_EXHAUSTED, e2.message);
    await client.unary({ payload: new Uint8Array([1]) }, { metadata: { "x-small": "a".repeat(6 * KiB) } });
    // Far over: answered with a status or a reset, never a crash.
    const e3 = await rejection(client.unary({}, { metadata: { "x-huge": "b".repeat(200 * KiB) } }));
    assert.ok([Code.RESOURCE_EXHAUSTED, Code.UNAVAILABLE, Code.INTERNAL].includes(e3.code), e3.message);
    assert.equal((await client.unary({ responseSize: 3 })).payload.byteLength, 3);
  });

  test("configurable", async () => {
    const { client } = await pair({ maxRequestHeaderBytes: 64 * KiB });
    await client.unary({}, { metadata: { "x-big": "a".repeat(30 * KiB) } });
    await client.unary({}, { metadata: { "x-big": "a".repeat(30 * KiB) } });
  });

  test("a grpc-js client over the cap gets an error, and the server keeps serving", async () => {
    const { port, client } = await pair();
    const Ctor = grpc.makeGenericClientConstructor(grpcJsService(EchoService), "EchoService");
    const c = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as Record<string, Function> & grpc.Client;
    const call = (md: grpc.Metadata) =>
      new Promise<grpc.ServiceError | null>((resolve) => c.unary(create(EchoRequestSchema, {}), md, (e: grpc.ServiceError | null) => resolve(e)));
    assert.equal(await call(new grpc.Metadata()), null);
    const md = new grpc.Metadata();
    md.set("x-big", "a".repeat(9 * KiB));
    const e = await call(md);
    assert.ok(e && [grpc.status.RESOURCE_EXHAUSTED, grpc.status.INTERNAL].includes(e.code), `${e?.code} ${e?.details}`);
    assert.equal(await call(new grpc.Metadata()), null);
    c.close();
    await client.unary({});
  });
});

describe("maxConcurrentStreams", { timeout: 60_000 }, () => {
  async function measure(maxConcurrentStreams: number | undefined, calls: (port: number) => Promise<unknown>[]) {
    let running = 0;
    let peak = 0;
    const server = createServer(maxConcurrentStreams === undefined ? {} : { maxConcurrentStreams }).service(EchoService, {
      async unary() {
        peak = Math.max(peak, ++running);
        await sleep(40);
        running--;
        return {};
      },
    });
    servers.push(server);
    const { port } = await server.listen("127.0.0.1:0");
    await Promise.all(calls(port));
    return peak;
  }

  test("the server caps concurrent calls per connection; tsgrpc clients queue the rest and all complete", async () => {
    const peak = await measure(2, (port) => {
      const channel = createChannel(`http://127.0.0.1:${port}`);
      channels.push(channel);
      const client = createClient(EchoService, channel);
      // The first call opens the connection, so the client has the server's SETTINGS before the
      // burst (a burst on a connection still in its handshake is the channels issue's transparent retry).
      return [client.unary({}).then(() => Promise.all(Array.from({ length: 8 }, () => client.unary({}))))];
    });
    assert.equal(peak, 2);
  });

  test("grpc-js clients respect it too", async () => {
    let close = () => {};
    const peak = await measure(3, (port) => {
      const Ctor = grpc.makeGenericClientConstructor(grpcJsService(EchoService), "EchoService");
      const c = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as Record<string, Function> & grpc.Client;
      close = () => c.close();
      const one = () => new Promise<void>((resolve, reject) => c.unary(create(EchoRequestSchema, {}), (e: Error | null) => (e ? reject(e) : resolve())));
      return [one().then(() => Promise.all(Array.from({ length: 9 }, one)))];
    });
    close();
    assert.equal(peak, 3);
  });

  test("unlimited by default", async () => {
    const peak = await measure(undefined, (port) => {
      const channel = createChannel(`http://127.0.0.1:${port}`);
      channels.push(channel);
      const client = createClient(EchoService, channel);
      return Array.from({ length: 20 }, () => client.unary({}));
    });
    assert.equal(peak, 20);
  });
});
