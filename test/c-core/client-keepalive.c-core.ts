// Our client's keepalive (gRFC A8) against a C-core server that enforces it:
// told GOAWAY ENHANCE_YOUR_CALM "too_many_pings", the client doubles its
// keepalive time on every such GOAWAY until the server accepts its pace, and
// calls go on working on new connections. A relay between the two
// (h2-frame-tap.ts) sees every PING and GOAWAY on the wire.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { createChannel, createClient } from "../../src/index.js";
import { setMinKeepaliveTimeMs } from "../../src/client/check-channel-options.js";
import { startServerProcess } from "../../interop/peer-process.js";
import { TestService } from "../../interop/gen/grpc/testing/test_pb.js";
import { startFrameTap } from "./h2-frame-tap.js";
import { cCoreMissing, channelArgs, prepareCCore } from "./c-core-peer.js";
import { assertNoLeaks } from "../e2e/leak-check.js";

before(() => {
  if (!cCoreMissing) prepareCCore();
});

const enhanceYourCalm = 0xb;

test("C-core server sends too_many_pings: our client doubles its keepalive time until the server accepts it, and calls keep working", { skip: cCoreMissing, timeout: 60_000 }, async () => {
  // The server allows a PING every 600 ms (with or without calls) and sends GOAWAY at the second strike.
  const server = await startServerProcess("python", {
    extraFlags: channelArgs({
      "grpc.http2.min_ping_interval_without_data_ms": 600,
      "grpc.http2.max_ping_strikes": 1,
      "grpc.keepalive_permit_without_calls": 1,
    }),
  });
  const tap = await startFrameTap(server.port);
  setMinKeepaliveTimeMs(1);
  const firstTimeMs = 100;
  const channel = createChannel(`http://127.0.0.1:${tap.port}`, {
    keepalive: { timeMs: firstTimeMs, timeoutMs: 5000, permitWithoutCalls: true },
  });
  const client = createClient(TestService, channel);
  try {
    // 100 ms, 200 ms and 400 ms are too often for the server; 800 ms is not: three GOAWAYs, then quiet.
    // A call opens each connection (the channel goes IDLE after a GOAWAY); the connection then only pings.
    const deadline = Date.now() + 30_000;
    let stable = false;
    for (let connection = 1; connection <= 6 && !stable && Date.now() < deadline; connection++) {
      await client.emptyCall({}, { timeoutMs: 5000 });
      assert.equal(tap.connections(), connection, "each call after a GOAWAY opens one new connection");
      const goawaysBefore = tap.goaways("server").length;
      while (Date.now() < deadline) {
        if (tap.goaways("server").length > goawaysBefore) break;
        if (tap.pings("client", connection).length >= 4) {
          stable = true;
          break;
        }
        await sleep(20);
      }
    }
    assert.ok(stable, `the client never slowed down enough: ${tap.goaways("server").length} GOAWAYs`);
    const goaways = tap.goaways("server");
    assert.ok(goaways.length >= 1, "the server never objected: the test proves nothing");
    assert.ok(goaways.length <= 3, `${goaways.length} GOAWAYs: the keepalive time does not double`);
    for (const g of goaways) {
      assert.equal(g.errorCode, enhanceYourCalm);
      assert.equal(g.debug, "too_many_pings");
    }
    // Timers never fire early: on connection k the client waits at least firstTimeMs·2^(k-1) between PINGs.
    for (let k = 1; k <= tap.connections(); k++) {
      const at = tap.pings("client", k).map((p) => p.at);
      const gaps = at.slice(1).map((t, i) => t - at[i]!);
      const expected = firstTimeMs * 2 ** (k - 1);
      assert.ok(gaps.length > 0, `connection ${k} had no two PINGs`);
      assert.ok(Math.min(...gaps) >= expected - 5, `connection ${k}: PINGs ${gaps.join(", ")} ms apart, expected at least ${expected}`);
    }
    // The last connection keeps its pace and carries calls.
    for (let i = 0; i < 3; i++) await client.emptyCall({}, { timeoutMs: 5000 });
    assert.equal(tap.goaways("server").length, goaways.length);
  } finally {
    setMinKeepaliveTimeMs(10_000);
    channel.close();
    await tap.close();
    await server.stop();
  }
  await assertNoLeaks();
});
