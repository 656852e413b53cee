// Deadlines and cancellation across hops: a client calls A, whose handler
// calls B through a tsgrpc client, whose handler calls C. Nobody passes a
// deadline or a signal by hand.
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import {
  Code,
  RpcError,
  createChannel,
  createClient,
  createServer,
  type CallOptions,
  type Channel,
  type HandlerContext,
  type Server,
} from "../../src/index.js";
import { EchoService } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { rejection } from "./interceptor-helpers.js";
import { assertNoLeaks } from "./leak-check.js";

interface HopRecord {
  deadline: number | undefined;
  /** Resolves with the code of the handler's signal when it fires. */
  aborted: Promise<Code>;
  finished: boolean;
}

const servers: Server[] = [];
const channels: Channel[] = [];

function recordOf(ctx: HandlerContext): HopRecord {
  const rec: HopRecord = {
    deadline: ctx.deadline,
    finished: false,
    aborted: new Promise((resolve) =>
      ctx.signal.addEventListener("abort", () => resolve(ctx.signal.reason instanceof RpcError ? ctx.signal.reason.code : Code.UNKNOWN), { once: true }),
    ),
  };
  return rec;
}

/**
 * Three servers. C's handler waits `sleepMs` (or until cancelled); B's and
 * A's call the next hop with `hopOptions` and nothing else. A's serverStream
 * makes its downstream call after a first response, from inside the stream.
 * The chain is connected (one call through it) before it is returned.
 */
async function chain(o: { hopOptions?: CallOptions; serverOptions?: Parameters<typeof createServer>[0] } = {}) {
  const hops: Record<"A" | "B" | "C", HopRecord[]> = { A: [], B: [], C: [] };
  const c = createServer().service(EchoService, {
    async unary(req, ctx) {
      const rec = recordOf(ctx);
      hops.C.push(rec);
      await sleep(req.sleepMs, undefined, { signal: ctx.signal });
      rec.finished = true;
      return { payload: req.payload };
    },
  });
  servers.push(c);
  const cPort = (await c.listen("127.0.0.1:0")).port;
  const toC = createChannel(`http://127.0.0.1:${cPort}`);
  channels.push(toC);
  const cClient = createClient(EchoService, toC);

  const b = createServer(o.serverOptions).service(EchoService, {
    async unary(req, ctx) {
      const rec = recordOf(ctx);
      hops.B.push(rec);
      const res = await cClient.unary(req, o.hopOptions);
      rec.finished = true;
      return res;
    },
  });
  servers.push(b);
  const bPort = (await b.listen("127.0.0.1:0")).port;
  const toB = createChannel(`http://127.0.0.1:${bPort}`);
  channels.push(toB);
  const bClient = createClient(EchoService, toB);

  const a = createServer(o.serverOptions).service(EchoService, {
    async unary(req, ctx) {
      const rec = recordOf(ctx);
      hops.A.push(rec);
      const res = await bClient.unary(req, o.hopOptions);
      rec.finished = true;
      return res;
    },
    async *serverStream(req, ctx) {
      hops.A.push(recordOf(ctx));
      yield { index: 0 };
      await sleep(20);
      yield await bClient.unary(req, o.hopOptions);
    },
  });
  servers.push(a);
  const aPort = (await a.listen("127.0.0.1:0")).port;
  const toA = createChannel(`http://127.0.0.1:${aPort}`);
  channels.push(toA);
  const client = createClient(EchoService, toA);
  // Connect every hop before the test measures anything: a first call also
  // waits for three HTTP/2 connections, which on a cold or busy process can
  // take longer than the tests' transit slack (a relative grpc-timeout does
  // not count the time before the request leaves).
  await client.unary({ sleepMs: 0 });
  for (const records of Object.values(hops)) records.length = 0;
  return { client, hops };
}

after(async () => {
  for (const ch of channels) ch.close();
  for (const s of servers) await s.close({ graceMs: 500 });
  await assertNoLeaks();
});

describe("deadline and cancellation propagation A → B → C", { timeout: 30_000 }, () => {
  test("C sees the client's deadline, shortened by the time spent on the way", async () => {
    const { client, hops } = await chain();
    const sent = Date.now();
    await client.unary({ sleepMs: 10 }, { timeoutMs: 3000 });
    const [a, b, c] = [hops.A[0]!, hops.B[0]!, hops.C[0]!];
    for (const hop of [a, b, c]) {
      assert.ok(hop.deadline !== undefined, "every hop has a deadline");
      // Each hop measures from when the call reaches it, so transit time may add a few ms.
      assert.ok(hop.deadline <= sent + 3000 + 50, `deadline ${hop.deadline - sent} ms after sending`);
      assert.ok(hop.deadline > sent + 2000);
    }
    assert.ok(c.deadline! <= b.deadline! + 25 && b.deadline! <= a.deadline! + 25, "deadlines do not grow along the chain beyond transit time");
  });

  test("the deadline passes while C works: DEADLINE_EXCEEDED for the client, and every hop stops", async () => {
    const { client, hops } = await chain();
    const started = Date.now();
    const e = await rejection(client.unary({ sleepMs: 10_000 }, { timeoutMs: 300 }));
    assert.equal(e.code, Code.DEADLINE_EXCEEDED);
    assert.ok(Date.now() - started < 2000);
    for (const hop of ["A", "B", "C"] as const) {
      const code = await hops[hop][0]!.aborted;
      assert.ok(code === Code.DEADLINE_EXCEEDED || code === Code.CANCELLED, `${hop}: ${Code[code]}`);
      assert.equal(hops[hop][0]!.finished, false, hop);
    }
  });

  test("cancelling the client at A cancels the work at B and C", async () => {
    const { client, hops } = await chain();
    const ac = new AbortController();
    const call = client.unary({ sleepMs: 10_000 }, { signal: ac.signal });
    while (hops.C.length === 0) await sleep(5);
    assert.equal(hops.C[0]!.deadline, undefined, "no deadline anywhere");
    ac.abort();
    assert.equal((await rejection(call)).code, Code.CANCELLED);
    const codes = await Promise.all([hops.A[0]!.aborted, hops.B[0]!.aborted, hops.C[0]!.aborted]);
    assert.deepEqual(codes.map((c) => Code[c]), ["CANCELLED", "CANCELLED", "CANCELLED"]);
    assert.equal(hops.C[0]!.finished, false);
  });

  test("from inside a streaming handler too", async () => {
    const { client, hops } = await chain();
    const sent = Date.now();
    const got: number[] = [];
    for await (const r of client.serverStream({ sleepMs: 1 }, { timeoutMs: 3000 })) got.push(r.index);
    assert.equal(got.length, 2);
    const c = hops.C[0]!;
    assert.ok(c.deadline !== undefined && c.deadline <= sent + 3000 + 50 && c.deadline > sent + 2000);
  });

  test("opt out per call (propagate: false): C has no deadline and outlives the cancelled client", async () => {
    const { client, hops } = await chain({ hopOptions: { propagate: false } });
    const ac = new AbortController();
    const call = client.unary({ sleepMs: 300 }, { signal: ac.signal, timeoutMs: 5000 });
    while (hops.C.length === 0) await sleep(5);
    assert.equal(hops.C[0]!.deadline, undefined);
    ac.abort();
    assert.equal((await rejection(call)).code, Code.CANCELLED);
    // C finishes its work anyway.
    const code = await hops.C[0]!.aborted;
    assert.equal(hops.C[0]!.finished, true);
    assert.equal(code, Code.CANCELLED, "the signal fires on completion");
  });

  test("opt out per server (propagateCallContext: false): its handlers' calls inherit nothing", async () => {
    const { client, hops } = await chain({ serverOptions: { propagateCallContext: false } });
    await client.unary({ sleepMs: 1 }, { timeoutMs: 3000 });
    assert.ok(hops.A[0]!.deadline !== undefined);
    assert.equal(hops.B[0]!.deadline, undefined);
    assert.equal(hops.C[0]!.deadline, undefined);
  });

  test("an explicit earlier deadline on the hop wins over the inherited one", async () => {
    const { client, hops } = await chain({ hopOptions: { timeoutMs: 500 } });
    const sent = Date.now();
    await client.unary({ sleepMs: 1 }, { timeoutMs: 10_000 });
    assert.ok(hops.A[0]!.deadline! > sent + 9000);
    assert.ok(hops.B[0]!.deadline! <= sent + 600);
    assert.ok(hops.C[0]!.deadline! <= hops.B[0]!.deadline! + 25);
  });
});
