// Channels over real sockets: balancing over several backends, failing over,
// waiting for a connection, connect timeouts, keepalive, idleness and state.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, RpcError, createChannel, createClient, createServer, type Interceptor, type Server } from "../../src/index.js";
import { createManualResolver } from "../../src/testing/index.js";
import { setMinKeepaliveTimeMs } from "../../src/client/check-channel-options.js";
import { EchoService, echoService } from "./echo-service.js";
import { createGrpcJsEchoClient } from "../peers/grpc-js-echo.js";
import { assertNoLeaks } from "./leak-check.js";
import { freePort } from "../../interop/proxy-process.js";

interface Backend {
  readonly server: Server;
  readonly port: number;
  calls: number;
}

async function backend(port = 0, options: { maxConcurrentStreams?: number } = {}): Promise<Backend> {
  const counter: Interceptor = (next) => (req) => {
    b.calls++;
    return next(req);
  };
  const server = createServer({ interceptors: [counter], ...options }).service(EchoService, echoService());
  const b = { server, port: 0, calls: 0 };
  b.port = (await server.listen(`127.0.0.1:${port}`)).port;
  return b;
}

const isCode = (code: Code, message?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof RpcError, String(e));
  assert.equal(e.code, code, e.message);
  if (message) assert.match(e.rawMessage, message);
  return true;
};

test("round_robin: three backends share calls evenly", { timeout: 20_000 }, async () => {
  const bs = await Promise.all([backend(), backend(), backend()]);
  const channel = createChannel(`ipv4:${bs.map((b) => `127.0.0.1:${b.port}`).join(",")}`, {
    insecure: true,
    serviceConfig: { loadBalancingConfig: [{ round_robin: {} }] },
  });
  const client = createClient(EchoService, channel);
  await channel.waitForReady({ deadline: Date.now() + 5000 });
  // READY as soon as one backend is: wait until all three take calls.
  for (let i = 0; i < 50 && bs.some((b) => b.calls === 0); i++) await client.unary({});
  for (const b of bs) b.calls = 0;
  for (let i = 0; i < 30; i++) await client.unary({});
  assert.deepEqual(bs.map((b) => b.calls), [10, 10, 10]);
  channel.close();
  await Promise.all(bs.map((b) => b.server.close()));
  await assertNoLeaks();
});

test("grpc-js's round_robin over three tsgrpc servers shares calls evenly too (the servers' side of balancing)", { timeout: 20_000 }, async () => {
  const bs = await Promise.all([backend(), backend(), backend()]);
  const peer = createGrpcJsEchoClient(`ipv4:${bs.map((b) => `127.0.0.1:${b.port}`).join(",")}`, {
    "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
  });
  for (let i = 0; i < 50 && bs.some((b) => b.calls === 0); i++) await peer.client.unary({});
  for (const b of bs) b.calls = 0;
  for (let i = 0; i < 30; i++) await peer.client.unary({});
  assert.deepEqual(bs.map((b) => b.calls), [10, 10, 10]);
  peer.close();
  await Promise.all(bs.map((b) => b.server.close()));
  await assertNoLeaks();
});

test("pick_first: an address that refuses connections is skipped", { timeout: 20_000 }, async () => {
  const dead = await freePort();
  const b = await backend();
  const channel = createChannel(`ipv4:127.0.0.1:${dead},127.0.0.1:${b.port}`, { insecure: true });
  const client = createClient(EchoService, channel);
  await client.unary({});
  assert.equal(b.calls, 1);
  assert.equal(channel.state, "READY");
  channel.close();
  await b.server.close();
  await assertNoLeaks();
});

test("nothing to connect to: calls fail fast with the reason; waitForReady calls wait for the server to come", { timeout: 20_000 }, async () => {
  const port = await freePort();
  const channel = createChannel(`http://127.0.0.1:${port}`);
  const client = createClient(EchoService, channel);
  await assert.rejects(client.unary({}), isCode(Code.UNAVAILABLE, /connection refused/));
  assert.equal(channel.state, "TRANSIENT_FAILURE");
  const waiting = client.unary({ payload: new Uint8Array([7]) }, { waitForReady: true, timeoutMs: 10_000 });
  await sleep(100);
  const b = await backend(port);
  const res = await waiting;
  assert.deepEqual([...res.payload], [7]);
  // A deadline ends the wait too, with what the channel was waiting for.
  channel.close();
  await b.server.close();
  const gone = createChannel(`http://127.0.0.1:${port}`);
  await assert.rejects(
    createClient(EchoService, gone).unary({}, { waitForReady: true, timeoutMs: 300 }),
    isCode(Code.DEADLINE_EXCEEDED, /while waiting for a connection to dns:127\.0\.0\.1:\d+ .*connection refused/),
  );
  gone.close();
  await assertNoLeaks();
});

test("a peer that accepts TCP and never speaks HTTP/2: the connect timeout fires", { timeout: 20_000 }, async () => {
  const sockets: net.Socket[] = [];
  const mute = net.createServer((s) => void sockets.push(s)).listen(0, "127.0.0.1");
  await once(mute, "listening");
  const port = (mute.address() as net.AddressInfo).port;
  const channel = createChannel(`http://127.0.0.1:${port}`, { connectTimeoutMs: 300 });
  const started = Date.now();
  await assert.rejects(createClient(EchoService, channel).unary({}, { waitForReady: false, timeoutMs: 5000 }), isCode(Code.UNAVAILABLE, /timed out after 300 ms/));
  assert.ok(Date.now() - started < 3000);
  channel.close();
  for (const s of sockets) s.destroy();
  mute.close();
  await assertNoLeaks();
});

test("keepalive finds a peer that stopped answering (black-holed traffic) within its timeout", { timeout: 20_000 }, async () => {
  setMinKeepaliveTimeMs(1);
  try {
    const b = await backend();
    // A TCP proxy that can stop forwarding in both directions without closing anything.
    let blackHole = false;
    const pairs: net.Socket[] = [];
    const proxy = net.createServer((down) => {
      const up = net.connect(b.port, "127.0.0.1");
      pairs.push(down, up);
      down.on("data", (d) => blackHole || up.write(d));
      up.on("data", (d) => blackHole || down.write(d));
      down.on("error", () => up.destroy());
      up.on("error", () => down.destroy());
    });
    proxy.listen(0, "127.0.0.1");
    await once(proxy, "listening");
    const channel = createChannel(`http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`, {
      keepalive: { timeMs: 200, timeoutMs: 300 },
    });
    const client = createClient(EchoService, channel);
    await client.unary({});
    const call = client.unary({ sleepMs: 10_000 });
    await sleep(50);
    blackHole = true;
    const started = Date.now();
    await assert.rejects(call, isCode(Code.UNAVAILABLE));
    const took = Date.now() - started;
    assert.ok(took < 2000, `detected after ${took} ms`);
    channel.close();
    for (const s of pairs) s.destroy();
    proxy.close();
    await b.server.close({ graceMs: 0 });
    await assertNoLeaks();
  } finally {
    setMinKeepaliveTimeMs(10_000);
  }
});

test("a burst above the server's MAX_CONCURRENT_STREAMS on a fresh connection: every call completes", { timeout: 20_000 }, async () => {
  const b = await backend(0, { maxConcurrentStreams: 2 });
  const channel = createChannel(`http://127.0.0.1:${b.port}`);
  const client = createClient(EchoService, channel);
  const results = await Promise.allSettled(Array.from({ length: 8 }, () => client.unary({ sleepMs: 50 })));
  assert.deepEqual(results.map((r) => r.status), Array(8).fill("fulfilled"));
  channel.close();
  await b.server.close();
  await assertNoLeaks();
});

test("channel state: IDLE until used, CONNECTING, READY; IDLE again after idleTimeoutMs; SHUTDOWN on close", { timeout: 20_000 }, async () => {
  const b = await backend();
  const channel = createChannel(`http://127.0.0.1:${b.port}`, { idleTimeoutMs: 200 });
  assert.equal(channel.state, "IDLE");
  const seen: string[] = [];
  const watching = (async () => {
    for await (const s of channel.watchState()) seen.push(s);
  })();
  const client = createClient(EchoService, channel);
  await client.unary({});
  assert.equal(channel.state, "READY");
  await sleep(600);
  assert.equal(channel.state, "IDLE", "after a quiet period");
  await client.unary({});
  assert.equal(channel.state, "READY", "the next call reconnects");
  channel.close();
  await watching;
  assert.deepEqual(seen, ["CONNECTING", "READY", "IDLE", "CONNECTING", "READY", "SHUTDOWN"]);
  await assert.rejects(client.unary({}), isCode(Code.UNAVAILABLE, /closed/));
  await b.server.close();
  await assertNoLeaks();
});

test("close() fails calls waiting for a connection and lets calls in flight finish", { timeout: 20_000 }, async () => {
  const b = await backend();
  const resolver = createManualResolver();
  const channel = createChannel("manual:backends", { insecure: true, resolvers: { manual: resolver.factory } });
  const client = createClient(EchoService, channel);
  const waiting = client.unary({});
  await sleep(20);
  channel.close();
  await assert.rejects(waiting, isCode(Code.UNAVAILABLE, /closed/));

  const channel2 = createChannel("manual:backends", { insecure: true, resolvers: { manual: resolver.factory } });
  const client2 = createClient(EchoService, channel2);
  const queued = client2.unary({ payload: new Uint8Array([1]) });
  await sleep(20);
  resolver.update([{ host: "127.0.0.1", port: b.port }]);
  assert.deepEqual([...(await queued).payload], [1], "a call queued until the resolver answered");
  const inFlight = client2.unary({ sleepMs: 200, payload: new Uint8Array([2]) });
  await sleep(50);
  channel2.close();
  assert.deepEqual([...(await inFlight).payload], [2]);
  await b.server.close();
  await assertNoLeaks();
});

test("a resolver error reaches calls as UNAVAILABLE with its reason", { timeout: 20_000 }, async () => {
  const resolver = createManualResolver();
  const channel = createChannel("manual:nowhere", { insecure: true, resolvers: { manual: resolver.factory } });
  const client = createClient(EchoService, channel);
  const call = client.unary({});
  await sleep(20);
  resolver.fail(new Error("no such service"));
  await assert.rejects(call, isCode(Code.UNAVAILABLE, /name resolution failed: no such service/));
  channel.close();
});

test("a resolver that moves the service: calls follow the new addresses", { timeout: 20_000 }, async () => {
  const [one, two] = await Promise.all([backend(), backend()]);
  const resolver = createManualResolver([{ host: "127.0.0.1", port: one.port }]);
  const channel = createChannel("manual:svc", { insecure: true, resolvers: { manual: resolver.factory } });
  const client = createClient(EchoService, channel);
  await client.unary({});
  resolver.update([{ host: "127.0.0.1", port: two.port }]);
  await client.unary({});
  assert.deepEqual([one.calls, two.calls], [1, 1]);
  channel.close();
  await Promise.all([one.server.close(), two.server.close()]);
  await assertNoLeaks();
});

test("GOAWAY too_many_pings: the channel reconnects and doubles its keepalive interval", { timeout: 20_000 }, async () => {
  setMinKeepaliveTimeMs(1);
  const http2 = await import("node:http2");
  /** Waits (at most 10 s, in 20 ms steps) until `check` holds. */
  const until = async (what: string, check: () => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!check()) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await sleep(20);
    }
  };
  try {
    // A bare HTTP/2 server that records when pings come, and sends the first connection away after three.
    const pings: { session: number; at: number }[] = [];
    let sessions = 0;
    const raw = http2.createServer();
    raw.on("session", (session) => {
      const id = ++sessions;
      session.on("ping", () => {
        pings.push({ session: id, at: Date.now() });
        if (id === 1 && pings.length === 3) {
          // As gRPC servers do: GOAWAY, then close the connection.
          session.goaway(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, 0, Buffer.from("too_many_pings"));
          session.close();
        }
      });
    });
    raw.listen(0, "127.0.0.1");
    await once(raw, "listening");
    const channel = createChannel(`http://127.0.0.1:${(raw.address() as net.AddressInfo).port}`, {
      keepalive: { timeMs: 100, timeoutMs: 1000, permitWithoutCalls: true },
    });
    channel.connect();
    await channel.waitForReady({ deadline: Date.now() + 5000 });
    await until("three pings on the first connection", () => pings.length >= 3);
    await until("the GOAWAY to reach the channel", () => channel.state !== "READY");
    channel.connect(); // the next call would: reconnect
    await channel.waitForReady({ deadline: Date.now() + 5000 });
    await until("three pings on the second connection", () => pings.filter((p) => p.session === 2).length >= 3);
    const gaps = (id: number) => {
      const at = pings.filter((p) => p.session === id).map((p) => p.at);
      return at.slice(1).map((t, i) => t - at[i]!);
    };
    // Lower bounds only (a loaded machine makes timers late, never early), with room for a
    // late first ping: 100 ms before; without the doubling the second connection's would be ~100 ms too.
    const before = Math.min(...gaps(1));
    const after = Math.min(...gaps(2));
    assert.ok(before >= 70, `pings every ${before} ms before`);
    assert.ok(after >= 160, `pings every ${after} ms after too_many_pings`);
    assert.equal(sessions, 2, "one reconnection");
    channel.close();
    raw.close();
    // The server's sessions end with the channel's connections.
    await assertNoLeaks(5000);
  } finally {
    setMinKeepaliveTimeMs(10_000);
  }
});
