// Client-side health checking (gRFC A17): a backend that reports NOT_SERVING
// for the service config's healthCheckConfig.serviceName takes no calls.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { createChannel, createClient, createServer, type Interceptor, type Server } from "../../src/index.js";
import { createHealthService, type HealthService } from "../../src/health/index.js";
import { EchoService, echoService } from "./echo-service.js";
import { assertNoLeaks } from "./leak-check.js";

interface Backend {
  server: Server;
  port: number;
  health: HealthService | undefined;
  calls: number;
}

async function backend(withHealth: boolean): Promise<Backend> {
  const counter: Interceptor = (next) => (req) => {
    if (req.method.parent.typeName === EchoService.typeName) b.calls++;
    return next(req);
  };
  const server = createServer({ interceptors: [counter] }).service(EchoService, echoService());
  const health = withHealth ? createHealthService({ statuses: { "tsgrpc.test.v1.EchoService": "SERVING" } }) : undefined;
  health?.register(server);
  const b: Backend = { server, port: 0, health, calls: 0 };
  b.port = (await server.listen("127.0.0.1:0")).port;
  return b;
}

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await sleep(25);
  }
  assert.fail(`timed out waiting until ${what}`);
}

test("round_robin with healthCheckConfig: NOT_SERVING backends take no calls until they serve again; no health service counts as healthy", { timeout: 30_000 }, async () => {
  const [a, b, c] = await Promise.all([backend(true), backend(true), backend(false)]);
  const channel = createChannel(`ipv4:127.0.0.1:${a.port},127.0.0.1:${b.port},127.0.0.1:${c.port}`, {
    insecure: true,
    serviceConfig: { loadBalancingConfig: [{ round_robin: {} }], healthCheckConfig: { serviceName: "tsgrpc.test.v1.EchoService" } },
  });
  const client = createClient(EchoService, channel);
  const spread = async (n: number) => {
    for (const x of [a, b, c]) x.calls = 0;
    for (let i = 0; i < n; i++) await client.unary({});
    return [a.calls, b.calls, c.calls];
  };
  await until("all three take calls", async () => (await spread(9)).every((n) => n > 0));

  b.health!.setStatus("tsgrpc.test.v1.EchoService", "NOT_SERVING");
  await until("b is out", async () => (await spread(6))[1] === 0);
  assert.deepEqual(await spread(10), [5, 0, 5], "a and c share the calls");

  b.health!.setStatus("tsgrpc.test.v1.EchoService", "SERVING");
  await until("b is back", async () => (await spread(9))[1] > 0);

  // Every backend unhealthy but the one without a health service.
  a.health!.setStatus("tsgrpc.test.v1.EchoService", "NOT_SERVING");
  b.health!.setStatus("tsgrpc.test.v1.EchoService", "NOT_SERVING");
  await until("only c serves", async () => {
    const [x, y] = await spread(6);
    return x === 0 && y === 0;
  });
  channel.close();
  await Promise.all([a, b, c].map((x) => x.server.close({ graceMs: 200 })));
  await assertNoLeaks();
});

test("all backends NOT_SERVING: calls fail fast with UNAVAILABLE naming the reason", { timeout: 20_000 }, async () => {
  const a = await backend(true);
  a.health!.setStatus("tsgrpc.test.v1.EchoService", "NOT_SERVING");
  const channel = createChannel(`ipv4:127.0.0.1:${a.port}`, {
    insecure: true,
    serviceConfig: { loadBalancingConfig: [{ round_robin: {} }], healthCheckConfig: { serviceName: "tsgrpc.test.v1.EchoService" } },
  });
  const client = createClient(EchoService, channel);
  await until("the channel fails", () => channel.state === "TRANSIENT_FAILURE" || (channel.connect(), false));
  await assert.rejects(client.unary({}), /reports NOT_SERVING for service "tsgrpc\.test\.v1\.EchoService"/);
  assert.equal(a.calls, 0);
  channel.close();
  await a.server.close({ graceMs: 200 });
  await assertNoLeaks();
});
