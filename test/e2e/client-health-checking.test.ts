// Client-side health checking (gRFC A17): a backend that reports NOT_SERVING
// for the service config's healthCheckConfig.serviceName takes no calls.
// Against our own health service, and against grpc-js servers running the
// grpc-health-check package's HealthImplementation (gRPC's Node health service).
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation, type ServingStatus as PeerServingStatus } from "grpc-health-check";
import { createChannel, createClient, createServer, type Interceptor, type Server } from "../../src/index.js";
import { createHealthService, type HealthService } from "../../src/health/index.js";
import { EchoService, echoService } from "./echo-service.js";
import { assertNoLeaks } from "./leak-check.js";
import { startGrpcJsEchoServer } from "../peers/grpc-js-echo.js";

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
  const deadline = Date.now() + 10_000;
  for (let i = 0; i < 400 && Date.now() < deadline; i++) {
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

const echoName = EchoService.typeName;

/** A grpc-js EchoService server, with grpc-health-check's HealthImplementation unless `withHealth` is false. */
interface PeerBackend {
  readonly port: number;
  close(): Promise<void>;
  calls: number;
  readonly health: HealthImplementation | undefined;
  /** When each Watch call reached the server (Date.now()). */
  readonly watchStarts: number[];
  /** Watch calls still open, oldest first. */
  readonly openWatches: grpc.ServerWritableStream<unknown, unknown>[];
  /** The next this many Watch calls fail at once with UNAVAILABLE (a health service in trouble). */
  failWatches: number;
}

async function peerBackend(withHealth: boolean): Promise<PeerBackend> {
  const health = withHealth ? new HealthImplementation({ [echoName]: "SERVING" }) : undefined;
  const counter: grpc.ServerInterceptor = (method, call) => {
    if (method.path.startsWith(`/${echoName}/`)) b.calls++;
    return new grpc.ServerInterceptingCall(call);
  };
  const { port, close } = await startGrpcJsEchoServer({ interceptors: [counter] }, (server) => {
    // The package's own handlers, with the Watch handler wrapped so that the test sees (and can end) each watch.
    health?.addToServer({
      addService(service, impl) {
        const watch = impl.watch as (call: grpc.ServerWritableStream<unknown, unknown>) => void;
        server.addService(service as grpc.ServiceDefinition, {
          ...(impl as grpc.UntypedServiceImplementation),
          watch(call: grpc.ServerWritableStream<unknown, unknown>) {
            b.watchStarts.push(Date.now());
            if (b.failWatches > 0) {
              b.failWatches--;
              call.emit("error", { code: grpc.status.UNAVAILABLE, details: "health checks are paused" });
              return;
            }
            b.openWatches.push(call);
            call.on("cancelled", () => b.openWatches.splice(b.openWatches.indexOf(call) >>> 0, 1));
            watch(call);
          },
        });
      },
    });
  });
  const b: PeerBackend = { port, close, calls: 0, health, watchStarts: [], openWatches: [], failWatches: 0 };
  return b;
}

function healthCheckedChannel(ports: number[]) {
  return createChannel(`ipv4:${ports.map((p) => `127.0.0.1:${p}`).join(",")}`, {
    insecure: true,
    serviceConfig: { loadBalancingConfig: [{ round_robin: {} }], healthCheckConfig: { serviceName: echoName } },
  });
}

test("grpc-health-check on grpc-js servers: SERVING/NOT_SERVING/UNKNOWN steer calls; a server without the health service (UNIMPLEMENTED) counts as healthy", { timeout: 30_000 }, async () => {
  const [a, b, c] = await Promise.all([peerBackend(true), peerBackend(true), peerBackend(false)]);
  const channel = healthCheckedChannel([a.port, b.port, c.port]);
  const client = createClient(EchoService, channel);
  const spread = async (n: number) => {
    for (const x of [a, b, c]) x.calls = 0;
    for (let i = 0; i < n; i++) await client.unary({});
    return [a.calls, b.calls, c.calls];
  };
  const set = (x: PeerBackend, status: PeerServingStatus) => x.health!.setStatus(echoName, status);
  await until("all three take calls", async () => (await spread(9)).every((n) => n > 0));
  assert.equal(c.watchStarts.length, 0, "c has no health service (its Watch is UNIMPLEMENTED before any handler)");

  set(b, "NOT_SERVING");
  await until("b is out", async () => (await spread(6))[1] === 0);
  assert.deepEqual(await spread(10), [5, 0, 5], "a and c share the calls");

  set(b, "SERVING");
  await until("b is back", async () => (await spread(9))[1] > 0);

  set(a, "UNKNOWN");
  set(b, "NOT_SERVING");
  await until("only c serves", async () => {
    const [x, y] = await spread(6);
    return x === 0 && y === 0;
  });
  assert.deepEqual(await spread(6), [0, 0, 6]);
  assert.equal(a.watchStarts.length, 1, "one Watch per connection: status changes come on it");
  assert.equal(b.watchStarts.length, 1);

  set(a, "SERVING");
  await until("a is back", async () => (await spread(9))[0] > 0);
  channel.close();
  await Promise.all([a, b, c].map((x) => x.close()));
  await assertNoLeaks();
});

test("a grpc-js server that ends the Watch stream: no calls until a new Watch answers; re-watched at once, then with growing backoff while it fails", { timeout: 30_000 }, async () => {
  const [a, b] = await Promise.all([peerBackend(true), peerBackend(true)]);
  const channel = healthCheckedChannel([a.port, b.port]);
  const client = createClient(EchoService, channel);
  const spread = async (n: number) => {
    a.calls = b.calls = 0;
    for (let i = 0; i < n; i++) await client.unary({});
    return [a.calls, b.calls];
  };
  await until("both take calls", async () => (await spread(6)).every((n) => n > 0));
  assert.equal(a.watchStarts.length, 1);
  assert.equal(a.openWatches.length, 1);

  // a ends its Watch with OK, then fails the next two with UNAVAILABLE and answers the third.
  a.failWatches = 2;
  const endedAt = Date.now();
  a.openWatches.shift()!.end();
  await until("a is watched again", () => a.watchStarts.length >= 2);
  assert.deepEqual(await spread(6), [0, 6], "a takes no calls while its health is not known");
  await until("a is watched a fourth time and answers", () => a.watchStarts.length >= 4 && a.openWatches.length === 1);
  await until("a takes calls again", async () => (await spread(6))[0] > 0);

  const [, second, third, fourth] = a.watchStarts as [number, number, number, number];
  // The watch that had answered is opened again without a backoff delay (gRFC A17)...
  assert.ok(second - endedAt < 800, `re-watched ${second - endedAt} ms after the stream ended`);
  // ...and watches that fail without an answer back off: about 1 s, then 1.6 s (each ±20 %).
  assert.ok(third - second >= 750, `the first backoff was ${third - second} ms`);
  assert.ok(fourth - third >= 1200, `the second backoff was ${fourth - third} ms`);
  assert.equal(a.watchStarts.length, 4, "no more watches once one answers");
  assert.equal(b.watchStarts.length, 1, "b's watch went on undisturbed");

  channel.close();
  await Promise.all([a, b].map((x) => x.close()));
  await assertNoLeaks();
});
