// Our server's connection management (gRFC A8 keepalive enforcement, A9 max
// connection age and idle) against a C-core client (Python grpcio running
// interop/python/client.py's rpc_soak): the client's calls keep working across
// our GOAWAYs because it reconnects, and a client that pings too often is told
// too_many_pings and slows down. A relay between the two (h2-frame-tap.ts)
// sees every PING and GOAWAY on the wire.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import type { ServerOptions } from "../../src/index.js";
import { runClientProcess, type ClientResult } from "../../interop/peer-process.js";
import { createInteropServer } from "../../interop/server.js";
import { startFrameTap, type FrameTap } from "./h2-frame-tap.js";
import { cCoreMissing, channelArgs, prepareCCore } from "./c-core-peer.js";
import { assertNoLeaks } from "../e2e/leak-check.js";

before(() => {
  if (!cCoreMissing) prepareCCore();
});

const noError = 0x0;

/** Our interop server behind a tap; runs the Python client's rpc_soak (one large_unary per iteration) through it. */
async function soakThroughTap(
  options: ServerOptions,
  soak: { iterations: number; betweenMs: number; maxFailures?: number; channelArgs?: Record<string, number> },
): Promise<{ result: ClientResult; tap: FrameTap }> {
  const server = createInteropServer(options);
  const { port } = await server.listen("127.0.0.1:0");
  const tap = await startFrameTap(port);
  try {
    const result = await runClientProcess("python", {
      port: tap.port,
      testCase: "rpc_soak",
      timeoutMs: 40_000,
      extraFlags: [
        `--soak_iterations=${soak.iterations}`,
        `--soak_min_time_ms_between_rpcs=${soak.betweenMs}`,
        `--soak_max_failures=${soak.maxFailures ?? 0}`,
        "--soak_overall_timeout_seconds=30",
        // grpcio reads from a connection only while something polls its channel: with no call in flight,
        // a GOAWAY waits in the socket until the next call, which then fails with UNAVAILABLE "GOAWAY
        // received" (against a C-core server's max_idle too). A connectivity watcher keeps it reading,
        // as a long-lived client application's channel would be.
        "--watch_connectivity=true",
        ...channelArgs(soak.channelArgs ?? {}),
      ],
    });
    return { result, tap };
  } finally {
    await tap.close();
    await server.close({ graceMs: 1000 });
  }
}

test("maxConnectionAgeMs: a C-core client's calls all succeed across the max_age GOAWAYs, on new connections", { skip: cCoreMissing, timeout: 60_000 }, async () => {
  const { result, tap } = await soakThroughTap({ maxConnectionAgeMs: 300, maxConnectionAgeGraceMs: 5000 }, { iterations: 15, betweenMs: 100 });
  assert.ok(result.ok, `${result.output}\nframes:\n${tap.trace()}`);
  const ages = tap.goaways("server").filter((g) => g.debug === "max_age");
  assert.ok(ages.length >= 2, `${ages.length} max_age GOAWAYs in ${tap.connections()} connections`);
  for (const g of ages) assert.equal(g.errorCode, noError);
  assert.ok(tap.connections() >= 3, `${tap.connections()} connections: the client did not move to new ones`);
  await assertNoLeaks();
});

test("maxConnectionIdleMs: a C-core client idle longer than that gets max_idle, and its next call succeeds on a new connection", { skip: cCoreMissing, timeout: 60_000 }, async () => {
  const { result, tap } = await soakThroughTap({ maxConnectionIdleMs: 200 }, { iterations: 4, betweenMs: 700 });
  assert.ok(result.ok, `${result.output}\nframes:\n${tap.trace()}`);
  const idles = tap.goaways("server").filter((g) => g.debug === "max_idle");
  assert.ok(idles.length >= 2, `${idles.length} max_idle GOAWAYs in ${tap.connections()} connections`);
  for (const g of idles) assert.equal(g.errorCode, noError);
  assert.ok(tap.connections() >= 3, `${tap.connections()} connections for 4 calls 700 ms apart`);
  await assertNoLeaks();
});

test("keepalive enforcement: a C-core client pinging too often gets too_many_pings, doubles its keepalive time, and its calls keep working", { skip: cCoreMissing, timeout: 60_000 }, async () => {
  // The client pings every second, with or without calls (grpcio 1.51 sends no more than one PING a
  // second on a connection without data, whatever its keepalive time); we allow one every 1.5 s. The
  // third strike, about 4 s after a call, draws GOAWAY; at 2 s the pings are fine. Calls come 5 s apart,
  // never in flight as the GOAWAY closes the connection.
  const firstTimeMs = 1000;
  const { result, tap } = await soakThroughTap(
    { permitKeepaliveTimeMs: 1500, permitKeepaliveWithoutCalls: true },
    {
      iterations: 3,
      betweenMs: 5000,
      channelArgs: {
        "grpc.keepalive_time_ms": firstTimeMs,
        "grpc.keepalive_timeout_ms": 5000,
        "grpc.keepalive_permit_without_calls": 1,
        "grpc.http2.max_pings_without_data": 0,
      },
    },
  );
  assert.ok(result.ok, result.output);
  const goaways = tap.goaways("server");
  assert.equal(goaways[0]?.debug, "too_many_pings", `GOAWAYs: ${JSON.stringify(goaways)}`);
  assert.equal(goaways[0].errorCode, 0xb, "ENHANCE_YOUR_CALM");
  // The connection's call (stream 1) was taken (Node fills in the last stream processed): the client must not run it again.
  assert.equal(goaways[0].lastStreamId, 1);
  assert.ok(goaways.every((g) => g.connection === 1), `the second connection was sent away too: ${JSON.stringify(goaways)}`);
  // The C core says it understood, and its second connection waits twice as long between PINGs.
  assert.match(result.output, /ENHANCE_YOUR_CALM.*too_many_pings/);
  assert.equal(tap.connections(), 2);
  const at = tap.pings("client", 2).map((p) => p.at);
  const gaps = at.slice(1).map((t, i) => t - at[i]!);
  // Keepalive PINGs 2 s apart (a PING right after a response is the C core's BDP probe, not keepalive).
  assert.ok(gaps.filter((g) => g >= 2 * firstTimeMs - 100).length >= 2, `PINGs ${gaps.join(", ")} ms apart on the second connection`);
  await assertNoLeaks();
});
