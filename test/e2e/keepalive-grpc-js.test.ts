// grpc-js's client keepalive against tsgrpc's enforcement (gRFC A8): a
// client that pings too often is told "too_many_pings", doubles its
// keepalive time, and once it is within the server's policy its calls work
// and its connection stays. Times are scaled down from the usual minutes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Code, createServer, RpcError } from "../../src/index.js";
import { serverInternals } from "../../src/server/server-internals.js";
import { EchoService, echoService } from "./echo-service.js";
import { createGrpcJsEchoClient } from "../peers/grpc-js-echo.js";

test("grpc-js keepalive: too_many_pings makes it back off until it respects the server's policy; calls work then", { timeout: 40_000 }, async (t) => {
  // grpc-js pings every 100 ms; the server permits one PING per 350 ms. 100 → 200 → 400 ms.
  const server = createServer({ permitKeepaliveTimeMs: 350, permitKeepaliveWithoutCalls: true, onHandlerError: () => {} }).service(EchoService, echoService());
  const { port } = await server.listen("127.0.0.1:0");
  const counters = serverInternals(server, "test").connectionCounters;
  const { client, close } = createGrpcJsEchoClient(port, { "grpc.keepalive_time_ms": 100, "grpc.keepalive_timeout_ms": 5000, "grpc.keepalive_permit_without_calls": 1 });
  try {
    const outcomes: string[] = [];
    let inARow = 0;
    // Calls that outlast several pings (responses forgive strikes: a short call would hide them).
    while (inARow < 2 && outcomes.length < 12) {
      try {
        await client.unary({ payload: new Uint8Array([1]), sleepMs: 1000 }, { timeoutMs: 10_000 });
        outcomes.push("ok");
        inARow++;
      } catch (e) {
        // A call in flight when the server ends the connection fails, as gRFC A8 intends: node:http2
        // hands the GOAWAY's ENHANCE_YOUR_CALM to the streams, which grpc-js maps to RESOURCE_EXHAUSTED.
        assert.ok(e instanceof RpcError && (e.code === Code.RESOURCE_EXHAUSTED || e.code === Code.UNAVAILABLE), String(e));
        outcomes.push(Code[e.code]);
        inARow = 0;
      }
    }
    t.diagnostic(`outcomes: ${outcomes.join(", ")}; too_many_pings GOAWAYs: ${counters.tooManyPings}; pings: ${counters.pingsReceived}`);
    assert.equal(inARow, 2, `outcomes: ${outcomes.join(", ")}`);
    const goaways = counters.tooManyPings;
    assert.ok(goaways >= 1 && goaways <= 3, `${goaways} too_many_pings GOAWAYs (outcomes: ${outcomes.join(", ")})`);
    // The interval stays doubled: more calls, no more GOAWAY.
    await client.unary({ payload: new Uint8Array([1]), sleepMs: 1000 }, { timeoutMs: 10_000 });
    assert.equal(counters.tooManyPings, goaways);
    assert.ok(counters.pingsReceived > 0);
  } finally {
    close();
    await server.close({ graceMs: 500 });
  }
});
