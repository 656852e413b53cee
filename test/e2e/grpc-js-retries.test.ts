// tsgrpc's retries, hedging and transparent retry against @grpc/grpc-js
// servers: one that fails a given number of times, one that rotates its
// connections every 300 ms (GOAWAY, then streams above the last-stream-id
// refused), and servers shut down gracefully and replaced on their port.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { Code, RpcError, createChannel, createClient, type ServiceConfig } from "../../src/index.js";
import { grpcJsService } from "../../interop/grpc-js/service-definition.js";
import { EchoService, type EchoRequest } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { assertNoLeaks } from "./leak-check.js";

const service = EchoService.typeName;

/** A grpc-js EchoService whose unary calls with tag `t` fail `failures(t)` times, then echo; with `pushback` in the trailers when given. */
async function startGrpcJsServer(failures: (tag: string) => number, options: grpc.ServerOptions = {}, pushback?: string) {
  const seen = new Map<string, string[]>();
  const server = new grpc.Server(options);
  server.addService(grpcJsService(EchoService), {
    unary(call: grpc.ServerUnaryCall<EchoRequest, object>, cb: grpc.sendUnaryData<object>) {
      const tag = call.request.tag;
      const list = seen.get(tag) ?? [];
      list.push(String(call.metadata.get("grpc-previous-rpc-attempts")[0] ?? "-"));
      seen.set(tag, list);
      if (list.length <= failures(tag)) {
        const metadata = new grpc.Metadata();
        if (pushback !== undefined) metadata.set("grpc-retry-pushback-ms", pushback);
        cb({ code: grpc.status.UNAVAILABLE, details: "try again", metadata });
      } else {
        cb(null, { payload: call.request.payload });
      }
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return {
    port,
    seen,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

test("grpc-js server: retries reach success, and grpc-js sees grpc-previous-rpc-attempts", async () => {
  const s = await startGrpcJsServer(() => 2);
  const config: ServiceConfig = {
    methodConfig: [{ name: [{ service }], retryPolicy: { maxAttempts: 3, initialBackoff: "0.01s", maxBackoff: "0.1s", backoffMultiplier: 2, retryableStatusCodes: ["UNAVAILABLE"] } }],
  };
  const channel = createChannel(`http://127.0.0.1:${s.port}`, { serviceConfig: config });
  const client = createClient(EchoService, channel);
  const res = await client.unary({ tag: "r", payload: new Uint8Array([5]) }, { timeoutMs: 5000 });
  assert.deepEqual([...res.payload], [5]);
  assert.deepEqual(s.seen.get("r"), ["-", "1", "2"]);
  channel.close();
  await s.close();
});

test("grpc-js server: pushback from grpc-js trailers is honoured (a negative one stops retries)", async () => {
  const s = await startGrpcJsServer(() => 1, {}, "-1");
  const config: ServiceConfig = {
    methodConfig: [{ name: [{ service }], retryPolicy: { maxAttempts: 3, initialBackoff: "0.01s", maxBackoff: "0.1s", backoffMultiplier: 2, retryableStatusCodes: ["UNAVAILABLE"] } }],
  };
  const channel = createChannel(`http://127.0.0.1:${s.port}`, { serviceConfig: config });
  const client = createClient(EchoService, channel);
  await assert.rejects(client.unary({ tag: "p" }), (e: unknown) => e instanceof RpcError && e.code === Code.UNAVAILABLE);
  assert.equal(s.seen.get("p")?.length, 1);
  channel.close();
  await s.close();
});

test("grpc-js server: hedging sends copies that grpc-js answers", async () => {
  const s = await startGrpcJsServer(() => 1);
  const config: ServiceConfig = { methodConfig: [{ name: [{ service }], hedgingPolicy: { maxAttempts: 3, hedgingDelay: "5s", nonFatalStatusCodes: ["UNAVAILABLE"] } }] };
  const channel = createChannel(`http://127.0.0.1:${s.port}`, { serviceConfig: config });
  const client = createClient(EchoService, channel);
  const res = await client.unary({ tag: "h", payload: new Uint8Array([9]) }, { timeoutMs: 3000 });
  assert.deepEqual([...res.payload], [9]);
  assert.deepEqual(s.seen.get("h"), ["-", "1"]);
  channel.close();
  await s.close();
});

test("grpc-js server rotating connections every 300 ms: eight loops of calls for 4 s lose none", async () => {
  const s = await startGrpcJsServer(() => 0, { "grpc.max_connection_age_ms": 300, "grpc.max_connection_age_grace_ms": 1000 });
  const channel = createChannel(`http://127.0.0.1:${s.port}`);
  const client = createClient(EchoService, channel);
  const until = Date.now() + 4000;
  let ok = 0;
  const failures: string[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (Date.now() < until) {
        try {
          await client.unary({ tag: "loop" }, { timeoutMs: 5000 });
          ok++;
        } catch (e) {
          failures.push(String(e));
        }
      }
    }),
  );
  channel.close();
  await s.close();
  assert.deepEqual(failures, []);
  assert.ok(ok > 100, `only ${ok} calls completed`);
  await assertNoLeaks();
});

/** A grpc-js EchoService on `port` (0: any), counting the unary calls its handler took; waits for the port to be free. */
async function startCountingGrpcJsServer(port: number, handled: { count: number }) {
  const server = new grpc.Server();
  server.addService(grpcJsService(EchoService), {
    unary(call: grpc.ServerUnaryCall<EchoRequest, object>, cb: grpc.sendUnaryData<object>) {
      handled.count++;
      setTimeout(() => cb(null, { payload: call.request.payload }), 2);
    },
  });
  for (let attempt = 0; ; attempt++) {
    try {
      const bound = await new Promise<number>((resolve, reject) =>
        server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
      );
      return { server, port: bound };
    } catch (e) {
      // The previous server on the port may not have let it go yet.
      if (attempt >= 200) throw e;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

// grpc-js's tryShutdown closes its listener and sends GOAWAY: the requests
// already on their way above the last-stream-id are never processed (the
// client sees REFUSED_STREAM) and must go, transparently, to the server that
// replaces it on the same port. Calls in flight below it finish.
test("grpc-js server shut down gracefully and replaced on its port five times under a burst: no call lost, none processed twice", async () => {
  const handled = { count: 0 };
  const first = await startCountingGrpcJsServer(0, handled);
  const servers = [first.server];
  const channel = createChannel(`http://127.0.0.1:${first.port}`);
  const client = createClient(EchoService, channel);
  let ok = 0;
  let stop = false;
  const failures: string[] = [];
  const loops = Promise.all(
    Array.from({ length: 16 }, async () => {
      while (!stop) {
        try {
          // waitForReady: between one server and the next, no one listens on the port.
          await client.unary({ tag: "restart" }, { timeoutMs: 5000, waitForReady: true });
          ok++;
        } catch (e) {
          failures.push(String(e));
        }
      }
    }),
  );
  try {
    for (let round = 0; round < 5; round++) {
      await new Promise((r) => setTimeout(r, 150));
      servers.at(-1)!.tryShutdown(() => undefined);
      servers.push((await startCountingGrpcJsServer(first.port, handled)).server);
    }
    await new Promise((r) => setTimeout(r, 150));
  } finally {
    stop = true;
    await loops;
    channel.close();
    for (const s of servers) s.forceShutdown();
  }
  assert.deepEqual(failures, []);
  assert.equal(handled.count, ok, "a call was processed twice");
  assert.ok(ok > 50, `only ${ok} calls completed`);
  await assertNoLeaks();
});
