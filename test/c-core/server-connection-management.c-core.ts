// Our server's connection management (gRFC A9 max connection age and idle)
// against a C-core client (Python grpcio running interop/python/client.py's
// rpc_soak): the client's calls keep working across our GOAWAYs because it
// reconnects. A relay between the two (h2-frame-tap.ts) sees every GOAWAY on
// the wire.
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
  assert.ok(result.ok, result.output);
  const ages = tap.goaways("server").filter((g) => g.debug === "max_age");
  assert.ok(ages.length >= 2, `${ages.length} max_age GOAWAYs in ${tap.connections()} connections`);
  for (const g of ages) assert.equal(g.errorCode, noError);
  assert.ok(tap.connections() >= 3, `${tap.connections()} connections: the client did not move to new ones`);
  await assertNoLeaks();
});

test("maxConnectionIdleMs: a C-core client idle longer than that gets max_idle, and its next call succeeds on a new connection", { skip: cCoreMissing, timeout: 60_000 }, async () => {
  const { result, tap } = await soakThroughTap({ maxConnectionIdleMs: 200 }, { iterations: 4, betweenMs: 700 });
  assert.ok(result.ok, result.output);
  const idles = tap.goaways("server").filter((g) => g.debug === "max_idle");
  assert.ok(idles.length >= 2, `${idles.length} max_idle GOAWAYs in ${tap.connections()} connections`);
  for (const g of idles) assert.equal(g.errorCode, noError);
  assert.ok(tap.connections() >= 3, `${tap.connections()} connections for 4 calls 700 ms apart`);
  await assertNoLeaks();
});
