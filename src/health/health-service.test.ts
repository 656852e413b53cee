import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, RpcError, createChannel, createClient, createServer } from "../index.js";
import { Health, HealthCheckResponse_ServingStatus as S, createHealthService } from "./index.js";

async function start(statuses?: Record<string, "SERVING" | "NOT_SERVING">) {
  const server = createServer();
  const health = createHealthService(statuses ? { statuses } : {});
  health.register(server);
  const { port } = await server.listen("127.0.0.1:0");
  const channel = createChannel(`http://127.0.0.1:${port}`);
  return { server, health, channel, client: createClient(Health, channel) };
}

test("Check reports the server, set services, and NOT_FOUND for unknown ones", { timeout: 10_000 }, async () => {
  const { server, health, channel, client } = await start();
  try {
    assert.equal((await client.check({ service: "" })).status, S.SERVING);
    await assert.rejects(client.check({ service: "a.B" }), (e) => e instanceof RpcError && e.code === Code.NOT_FOUND);
    health.setStatus("a.B", "NOT_SERVING");
    assert.equal((await client.check({ service: "a.B" })).status, S.NOT_SERVING);
    health.setStatus("a.B", "SERVING");
    assert.equal((await client.check({ service: "a.B" })).status, S.SERVING);
    const { statuses } = await client.list({});
    assert.deepEqual(Object.fromEntries(Object.entries(statuses).map(([k, v]) => [k, v.status])), { "": S.SERVING, "a.B": S.SERVING });
    health.clearStatus("a.B");
    await assert.rejects(client.check({ service: "a.B" }), (e) => e instanceof RpcError && e.code === Code.NOT_FOUND);
    health.shutdown();
    assert.equal((await client.check({ service: "" })).status, S.NOT_SERVING);
    health.setStatus("", "SERVING");
    assert.equal(health.getStatus(""), "NOT_SERVING");
    health.resume();
    assert.equal((await client.check({ service: "" })).status, S.SERVING);
  } finally {
    channel.close();
    await server.close({ graceMs: 100 });
  }
});

test("List fails with RESOURCE_EXHAUSTED past maxListedServices", { timeout: 10_000 }, async () => {
  const server = createServer();
  createHealthService({ statuses: { a: "SERVING", b: "SERVING" }, maxListedServices: 1 }).register(server);
  const { port } = await server.listen("127.0.0.1:0");
  const channel = createChannel(`http://127.0.0.1:${port}`);
  await assert.rejects(createClient(Health, channel).list({}), (e) => e instanceof RpcError && e.code === Code.RESOURCE_EXHAUSTED);
  channel.close();
  await server.close({ graceMs: 100 });
});

test("Watch sends SERVICE_UNKNOWN, then each change, then NOT_SERVING when shutdown starts, and ends", { timeout: 10_000 }, async () => {
  const { server, health, channel, client } = await start();
  const seen: S[] = [];
  const watching = (async () => {
    for await (const r of client.watch({ service: "x.Y" })) seen.push(r.status);
  })();
  const until = async (n: number) => {
    for (let i = 0; i < 200 && seen.length < n; i++) await sleep(10);
    assert.equal(seen.length, n, `saw ${seen.map((s) => S[s]).join(",")}`);
  };
  await until(1);
  health.setStatus("x.Y", "SERVING");
  await until(2);
  health.setStatus("x.Y", "SERVING"); // no change, nothing sent
  health.setStatus("x.Y", "NOT_SERVING");
  await until(3);
  health.setStatus("x.Y", "SERVING");
  await until(4);
  const started = Date.now();
  await server.close({ graceMs: 5000 });
  assert.ok(Date.now() - started < 4000, "an open Watch must not hold the graceful close");
  await watching;
  assert.deepEqual(seen, [S.SERVICE_UNKNOWN, S.SERVING, S.NOT_SERVING, S.SERVING, S.NOT_SERVING]);
  channel.close();
});

test("a cancelled Watch leaves no watcher behind", { timeout: 10_000 }, async () => {
  const server = createServer();
  const health = createHealthService();
  // The service's own Watch handler, wrapped to see it end and why.
  let handlerEnded!: (why: unknown) => void;
  const ended = new Promise<unknown>((resolve) => (handlerEnded = resolve));
  server.service(health.definition, {
    ...health.impl,
    async *watch(request, ctx) {
      try {
        yield* health.impl.watch!(request, ctx);
      } finally {
        handlerEnded(ctx.signal.reason);
      }
    },
  });
  const { port } = await server.listen("127.0.0.1:0");
  const channel = createChannel(`http://127.0.0.1:${port}`);
  const client = createClient(Health, channel);
  const abort = new AbortController();
  const it = client.watch({ service: "" }, { signal: abort.signal })[Symbol.asyncIterator]();
  assert.equal((await it.next()).value?.status, S.SERVING);
  abort.abort();
  await assert.rejects(it.next(), (e) => e instanceof RpcError && e.code === Code.CANCELLED);
  // The server's handler returns (its finally runs, which is where the watcher is removed), told CANCELLED.
  const why = await Promise.race([ended, sleep(5000).then(() => assert.fail("the server's Watch handler is still waiting"))]);
  assert.ok(why instanceof RpcError && why.code === Code.CANCELLED, `the handler's signal fired with ${String(why)}`);
  health.setStatus("", "NOT_SERVING"); // wakes nobody; must not throw
  // The service still works for the next watcher.
  const next = client.watch({ service: "" })[Symbol.asyncIterator]();
  assert.equal((await next.next()).value?.status, S.NOT_SERVING);
  await next.return?.();
  channel.close();
  await server.close({ graceMs: 100 });
});

test("setStatus and createHealthService refuse bad statuses", () => {
  assert.throws(() => createHealthService({ statuses: { "": "UP" as never } }), TypeError);
  assert.throws(() => createHealthService().setStatus("", "SERVICE_UNKNOWN" as never), TypeError);
});
