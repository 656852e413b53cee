// Connections and servers over time: shutdown, reconnect, unix sockets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { Code, RpcError, createChannel, createClient, createServer, createWritableIterable } from "../../src/index.js";
import { EchoService, echoService } from "./echo-service.js";
import { createHealthService } from "../../src/health/index.js";
import { assertNoLeaks } from "./leak-check.js";

test("graceful close lets calls in flight finish and refuses new connections", { timeout: 20_000 }, async () => {
  const server = createServer().service(EchoService, echoService());
  const { port } = await server.listen("127.0.0.1:0");
  const channel = createChannel(`http://127.0.0.1:${port}`);
  const client = createClient(EchoService, channel);
  await client.unary({});
  const inFlight = client.unary({ sleepMs: 300, payload: new Uint8Array([1]) });
  await sleep(50);
  const closed = server.close({ graceMs: 5000 });
  const res = await inFlight;
  assert.deepEqual([...res.payload], [1]);
  await closed;
  const late = createChannel(`http://127.0.0.1:${port}`);
  await assert.rejects(createClient(EchoService, late).unary({}), (e: unknown) => e instanceof RpcError && e.code === Code.UNAVAILABLE);
  channel.close();
  late.close();
  await assertNoLeaks();
});

test("close past the grace period cancels what is left", { timeout: 20_000 }, async () => {
  const server = createServer().service(EchoService, echoService());
  const { port } = await server.listen("127.0.0.1:0");
  const channel = createChannel(`http://127.0.0.1:${port}`);
  const slow = createClient(EchoService, channel).unary({ sleepMs: 10_000 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  await sleep(50);
  const started = Date.now();
  await server.close({ graceMs: 200 });
  assert.ok(Date.now() - started < 2000);
  const e = await slow;
  assert.ok(e instanceof RpcError && e.code === Code.UNAVAILABLE, String(e));
  channel.close();
  await assertNoLeaks();
});

test("a channel reconnects after its connection drops", { timeout: 20_000 }, async () => {
  const first = createServer().service(EchoService, echoService());
  const { port } = await first.listen("127.0.0.1:0");
  const channel = createChannel(`http://127.0.0.1:${port}`);
  const client = createClient(EchoService, channel);
  await client.unary({});
  await first.close({ graceMs: 0 });
  const second = createServer().service(EchoService, echoService());
  await second.listen({ host: "127.0.0.1", port });
  // The first call after the drop may race the close; the next ones must work.
  await client.unary({}).catch(() => undefined);
  const res = await client.unary({ payload: new Uint8Array([4]) });
  assert.deepEqual([...res.payload], [4]);
  channel.close();
  await second.close();
  await assertNoLeaks();
});

test("unix socket targets", { timeout: 10_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsgrpc-"));
  const path = join(dir, "echo.sock");
  try {
    const server = createServer().service(EchoService, echoService());
    await server.listen(`unix:${path}`);
    const channel = createChannel(`unix:${path}`);
    const res = await createClient(EchoService, channel).unary({ payload: new Uint8Array([8]) });
    assert.deepEqual([...res.payload], [8]);
    channel.close();
    await server.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("IPv6 loopback", { timeout: 10_000 }, async () => {
  const server = createServer().service(EchoService, echoService());
  const { port } = await server.listen("[::1]:0");
  const channel = createChannel(`http://[::1]:${port}`);
  await createClient(EchoService, channel).unary({});
  channel.close();
  await server.close();
});

test("an idle channel does not keep the process alive", { timeout: 20_000 }, async () => {
  const server = createServer().service(EchoService, echoService());
  createHealthService().register(server); // the busy channel below keeps a health Watch open
  const { port } = await server.listen("127.0.0.1:0");
  // A child process makes a call and never closes its channel: it must still exit.
  const script = `
    import { createChannel, createClient } from "./src/index.ts";
    import { EchoService } from "./test/gen/tsgrpc/test/v1/echo_pb.ts";
    await createClient(EchoService, createChannel("http://127.0.0.1:${port}")).unary({});
    // Nor does one with keepalive pings, round_robin, and a backend that refuses connections (reconnect backoff).
    const busy = createChannel("ipv4:127.0.0.1:${port},127.0.0.1:1", {
      insecure: true,
      keepalive: { timeMs: 10000, permitWithoutCalls: true },
      serviceConfig: { loadBalancingConfig: [{ round_robin: {} }], healthCheckConfig: { serviceName: "" } },
    });
    await createClient(EchoService, busy).unary({});
    console.log("called");
  `;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  const exited = await Promise.race([once(child, "exit").then(() => true), sleep(10_000).then(() => false)]);
  if (!exited) child.kill();
  assert.ok(exited, "the process stayed alive after its last call");
  assert.match(out, /called/);
  await server.close();
});

test("options are validated at construction with TypeError", () => {
  assert.throws(() => createChannel("127.0.0.1:1"), TypeError);
  assert.throws(() => createChannel("http://127.0.0.1:1", { tls: {} }), TypeError);
  assert.throws(() => createChannel("http://127.0.0.1:99999"), TypeError);
  assert.throws(() => createChannel("http://127.0.0.1:1", { maxReceiveBytes: -1 }), TypeError);
  assert.throws(() => createChannel("http://127.0.0.1:1", { compression: "br" as "gzip" }), TypeError);
  assert.throws(() => createServer({ acceptCompression: ["br" as "gzip"] }), TypeError);
  assert.throws(() => createServer().service(EchoService, { nope() {} } as never), TypeError);
  assert.doesNotThrow(() => createChannel("127.0.0.1:1", { insecure: true }).close());
});

test("a pending write on a push-style request stream fails when the call ends", { timeout: 10_000 }, async () => {
  const server = createServer().service(EchoService, {
    async *bidi() {
      throw new RpcError(Code.FAILED_PRECONDITION, "no chat today");
    },
  });
  const { port } = await server.listen("127.0.0.1:0");
  const channel = createChannel(`http://127.0.0.1:${port}`);
  const requests = createWritableIterable<{ payload?: Uint8Array }>();
  const replies = createClient(EchoService, channel).bidi(requests);
  await assert.rejects(
    (async () => {
      for await (const _ of replies) void _;
    })(),
    (e: unknown) => e instanceof RpcError && e.code === Code.FAILED_PRECONDITION,
  );
  // The call is over: a write must settle (rejected), not hang.
  await assert.rejects(requests.write({}));
  channel.close();
  await server.close();
});

test("waiting for a channel to be ready keeps the process alive until it is", { timeout: 20_000 }, async () => {
  const server = createServer().service(EchoService, echoService());
  const { port } = await server.listen("127.0.0.1:0");
  const script = `
    import { createChannel } from "./src/index.ts";
    const channel = createChannel("http://127.0.0.1:${port}");
    await channel.waitForReady({ deadline: Date.now() + 10000 });
    console.log("ready", channel.state);
    channel.close();
  `;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  const [code] = (await once(child, "exit")) as [number];
  assert.equal(code, 0);
  assert.match(out, /ready READY/);
  await server.close();
});
