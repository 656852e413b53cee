// Retries, hedging and transparent retry (gRFC A6) over loopback sockets,
// against tsgrpc servers that fail a given number of times and then answer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, RpcError, createChannel, createClient, createServer, type ChannelOptions, type HandlerContext, type ServiceConfig } from "../../src/index.js";
import { EchoService } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { assertNoLeaks } from "./leak-check.js";

const service = EchoService.typeName;

function retryConfig(policy: Partial<NonNullable<ServiceConfig["methodConfig"]>[number]["retryPolicy"]> = {}, extra: Partial<ServiceConfig> = {}): ServiceConfig {
  return {
    methodConfig: [
      {
        name: [{ service }],
        retryPolicy: { maxAttempts: 4, initialBackoff: "0.01s", maxBackoff: "0.05s", backoffMultiplier: 2, retryableStatusCodes: ["UNAVAILABLE"], ...policy },
      },
    ],
    ...extra,
  };
}

/** What the server saw: per tag, the `grpc-previous-rpc-attempts` of each attempt ("-" for none). */
type Seen = Map<string, string[]>;

function note(seen: Seen, tag: string, ctx: HandlerContext): number {
  const list = seen.get(tag) ?? [];
  list.push((ctx.metadata.get("grpc-previous-rpc-attempts") as string | undefined) ?? "-");
  seen.set(tag, list);
  return list.length;
}

interface Failing {
  /** Attempts that fail before one succeeds. */
  failures: number;
  code?: Code;
  pushback?: string;
  /** Milliseconds the first attempt waits before it answers (for hedging). */
  firstAttemptDelayMs?: number;
}

/** An EchoService whose calls with tag `t` fail `plan(t).failures` times (trailers-only), then echo. */
async function startFailingServer(plan: (tag: string) => Failing, options: Parameters<typeof createServer>[0] = {}) {
  const seen: Seen = new Map();
  const cancelled: string[] = [];
  const fail = (f: Failing) =>
    new RpcError(f.code ?? Code.UNAVAILABLE, "try again", { metadata: f.pushback !== undefined ? { "grpc-retry-pushback-ms": f.pushback } : undefined });
  const attempt = async (tag: string, ctx: HandlerContext) => {
    const n = note(seen, tag, ctx);
    const f = plan(tag);
    if (n === 1 && f.firstAttemptDelayMs) await sleep(f.firstAttemptDelayMs, undefined, { signal: ctx.signal }).catch(() => cancelled.push(tag));
    if (n <= f.failures) throw fail(f);
  };
  const server = createServer(options).service(EchoService, {
    async unary(req, ctx) {
      await attempt(req.tag, ctx);
      return { payload: req.payload };
    },
    async *serverStream(req, ctx) {
      await attempt(req.tag, ctx);
      for (let i = 0; i < req.responseCount; i++) {
        yield { index: i };
        if (req.failCode && i + 1 === req.failAfter) throw new RpcError(req.failCode, "failed mid-stream");
      }
    },
    async clientStream(reqs, ctx) {
      let count = 0;
      let tag = "";
      for await (const r of reqs) {
        tag = r.tag;
        count++;
      }
      await attempt(tag, ctx);
      return { receivedCount: count };
    },
    async *bidi(reqs, ctx) {
      let i = 0;
      for await (const r of reqs) {
        if (i === 0) await attempt(r.tag, ctx);
        yield { index: i++, payload: r.payload };
      }
    },
  });
  const { port } = await server.listen("127.0.0.1:0");
  return { server, port, seen, cancelled };
}

async function withChannel<T>(port: number, options: ChannelOptions, body: (client: ReturnType<typeof createClient<typeof EchoService>>) => Promise<T>): Promise<T> {
  const channel = createChannel(`http://127.0.0.1:${port}`, options);
  try {
    return await body(createClient(EchoService, channel));
  } finally {
    channel.close();
  }
}

async function* messages<T>(list: T[]): AsyncIterable<T> {
  for (const m of list) {
    await sleep(1);
    yield m;
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const m of it) out.push(m);
  return out;
}

test("retry policy: a unary call that fails twice succeeds on its third attempt; the server sees grpc-previous-rpc-attempts", async () => {
  const s = await startFailingServer(() => ({ failures: 2 }));
  await withChannel(s.port, { serviceConfig: retryConfig() }, async (client) => {
    const res = await client.unary({ tag: "u", payload: new Uint8Array([7]) }, { timeoutMs: 5000 });
    assert.deepEqual([...res.payload], [7]);
  });
  assert.deepEqual(s.seen.get("u"), ["-", "1", "2"]);
  await s.server.close({ graceMs: 100 });
  await assertNoLeaks();
});

test("retry policy: maxAttempts bounds the attempts; the last failure is the call's", async () => {
  const s = await startFailingServer(() => ({ failures: 10 }));
  await withChannel(s.port, { serviceConfig: retryConfig({ maxAttempts: 3 }) }, async (client) => {
    await assert.rejects(client.unary({ tag: "u" }, { timeoutMs: 5000 }), (e: unknown) => e instanceof RpcError && e.code === Code.UNAVAILABLE && e.rawMessage === "try again");
  });
  assert.equal(s.seen.get("u")?.length, 3);
  await s.server.close({ graceMs: 100 });
});

test("retry policy: a code that is not retryable is not retried", async () => {
  const s = await startFailingServer(() => ({ failures: 1, code: Code.INVALID_ARGUMENT }));
  await withChannel(s.port, { serviceConfig: retryConfig() }, async (client) => {
    await assert.rejects(client.unary({ tag: "u" }), (e: unknown) => e instanceof RpcError && e.code === Code.INVALID_ARGUMENT);
  });
  assert.equal(s.seen.get("u")?.length, 1);
  await s.server.close({ graceMs: 100 });
});

test("retry policy: client streaming replays the buffered request stream on each attempt", async () => {
  const s = await startFailingServer(() => ({ failures: 2 }));
  await withChannel(s.port, { serviceConfig: retryConfig() }, async (client) => {
    const reqs = [1, 2, 3, 4, 5].map(() => ({ tag: "cs", payload: new Uint8Array(100) }));
    const res = await client.clientStream(messages(reqs), { timeoutMs: 5000 });
    assert.equal(res.receivedCount, 5);
  });
  assert.deepEqual(s.seen.get("cs"), ["-", "1", "2"]);
  await s.server.close({ graceMs: 100 });
});

test("retry policy: server streaming and bidi are retried until a response starts", async () => {
  const s = await startFailingServer(() => ({ failures: 1 }));
  await withChannel(s.port, { serviceConfig: retryConfig() }, async (client) => {
    const got = await collect(client.serverStream({ tag: "ss", responseCount: 3 }, { timeoutMs: 5000 }));
    assert.deepEqual(got.map((m) => m.index), [0, 1, 2]);
    const echoed = await collect(client.bidi(messages([{ tag: "bd" }, { tag: "bd" }, { tag: "bd" }]), { timeoutMs: 5000 }));
    assert.deepEqual(echoed.map((m) => m.index), [0, 1, 2]);
  });
  assert.deepEqual(s.seen.get("ss"), ["-", "1"]);
  assert.deepEqual(s.seen.get("bd"), ["-", "1"]);
  await s.server.close({ graceMs: 100 });
});

test("retry policy: once response messages have arrived, a later failure is not retried", async () => {
  const s = await startFailingServer(() => ({ failures: 0 }));
  await withChannel(s.port, { serviceConfig: retryConfig() }, async (client) => {
    const got: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const m of client.serverStream({ tag: "mid", responseCount: 5, failCode: Code.UNAVAILABLE, failAfter: 2 })) got.push(m.index);
      })(),
      (e: unknown) => e instanceof RpcError && e.code === Code.UNAVAILABLE,
    );
    assert.deepEqual(got, [0, 1]);
  });
  assert.equal(s.seen.get("mid")?.length, 1);
  await s.server.close({ graceMs: 100 });
});

test("pushback: a delay from the server replaces the backoff; a negative one stops retrying", async () => {
  const s = await startFailingServer((tag) => ({ failures: tag === "stop" ? 5 : 1, pushback: tag === "stop" ? "-1" : "50" }));
  // A backoff this long would make the call outlast the test: only the pushback lets it finish.
  const config = retryConfig({ initialBackoff: "60s", maxBackoff: "60s" });
  await withChannel(s.port, { serviceConfig: config }, async (client) => {
    const started = Date.now();
    await client.unary({ tag: "delay" }, { timeoutMs: 10_000 });
    assert.ok(Date.now() - started >= 45, "the retry waited for the pushback");
    await assert.rejects(client.unary({ tag: "stop" }), (e: unknown) => e instanceof RpcError && e.code === Code.UNAVAILABLE);
  });
  assert.equal(s.seen.get("delay")?.length, 2);
  assert.equal(s.seen.get("stop")?.length, 1);
  await s.server.close({ graceMs: 100 });
});

test("throttling: failures spend the channel's tokens until retries stop", async () => {
  const s = await startFailingServer(() => ({ failures: 100 }));
  const config = retryConfig({ maxAttempts: 5 }, { retryThrottling: { maxTokens: 4, tokenRatio: 0.1 } });
  await withChannel(s.port, { serviceConfig: config }, async (client) => {
    for (const tag of ["a", "b", "c"]) await assert.rejects(client.unary({ tag }), (e: unknown) => e instanceof RpcError && e.code === Code.UNAVAILABLE);
  });
  // 4 tokens: a fails (3 > 2, retry), fails again (2: stop); b and c fail once each.
  assert.deepEqual(["a", "b", "c"].map((t) => s.seen.get(t)?.length), [2, 1, 1]);
  await s.server.close({ graceMs: 100 });
});

test("the deadline covers all attempts and the waits between them", async () => {
  const s = await startFailingServer(() => ({ failures: 100 }));
  // Each backoff is random between 0 and 10 s (gRFC A6's jitter): four of them fit in 150 ms about once in 10^9 runs.
  const config = retryConfig({ maxAttempts: 5, initialBackoff: "10s", maxBackoff: "10s", backoffMultiplier: 1 });
  const started = Date.now();
  await withChannel(s.port, { serviceConfig: config }, async (client) => {
    // DEADLINE_EXCEEDED, or the last attempt's UNAVAILABLE when it lands just as the deadline passes.
    await assert.rejects(
      client.unary({ tag: "d" }, { timeoutMs: 150 }),
      (e: unknown) => e instanceof RpcError && (e.code === Code.DEADLINE_EXCEEDED || e.code === Code.UNAVAILABLE),
    );
  });
  // The deadline cut the call short, in a backoff (which could last up to 10 s): it ended at its deadline.
  const took = Date.now() - started;
  assert.ok(took < 1500, `the call took ${took} ms, past its 150 ms deadline`);
  const attempts = s.seen.get("d")?.length ?? 0;
  assert.ok(attempts >= 1 && attempts < 5, `${attempts} attempts`);
  await s.server.close({ graceMs: 100 });
});

test("cancelling between attempts ends the call with CANCELLED", async () => {
  const s = await startFailingServer(() => ({ failures: 100 }));
  await withChannel(s.port, { serviceConfig: retryConfig({ initialBackoff: "30s", maxBackoff: "30s" }) }, async (client) => {
    const ac = new AbortController();
    const call = client.unary({ tag: "c" }, { signal: ac.signal });
    await sleep(100);
    ac.abort();
    await assert.rejects(call, (e: unknown) => e instanceof RpcError && e.code === Code.CANCELLED);
  });
  await s.server.close({ graceMs: 100 });
});

test("hedging: a second copy answers while the first is slow; the first is cancelled", async () => {
  const s = await startFailingServer(() => ({ failures: 0, firstAttemptDelayMs: 5000 }));
  const config: ServiceConfig = { methodConfig: [{ name: [{ service }], hedgingPolicy: { maxAttempts: 3, hedgingDelay: "0.05s", nonFatalStatusCodes: ["UNAVAILABLE"] } }] };
  await withChannel(s.port, { serviceConfig: config }, async (client) => {
    const res = await client.unary({ tag: "h", payload: new Uint8Array([1]) }, { timeoutMs: 3000 });
    assert.deepEqual([...res.payload], [1]);
  });
  assert.deepEqual(s.seen.get("h"), ["-", "1"]);
  for (let i = 0; i < 200 && s.cancelled.length === 0; i++) await sleep(10);
  assert.deepEqual(s.cancelled, ["h"]);
  await s.server.close({ graceMs: 100 });
});

test("hedging: a non-fatal failure sends the next copy at once; a fatal one ends the call", async () => {
  const s = await startFailingServer((tag) => ({ failures: 1, code: tag === "fatal" ? Code.INVALID_ARGUMENT : Code.UNAVAILABLE }));
  const config: ServiceConfig = { methodConfig: [{ name: [{ service }], hedgingPolicy: { maxAttempts: 3, hedgingDelay: "30s", nonFatalStatusCodes: ["UNAVAILABLE"] } }] };
  await withChannel(s.port, { serviceConfig: config }, async (client) => {
    await client.unary({ tag: "nonfatal" }, { timeoutMs: 3000 });
    await assert.rejects(client.unary({ tag: "fatal" }), (e: unknown) => e instanceof RpcError && e.code === Code.INVALID_ARGUMENT);
  });
  assert.deepEqual(s.seen.get("nonfatal"), ["-", "1"]);
  assert.deepEqual(s.seen.get("fatal"), ["-"]);
  await s.server.close({ graceMs: 100 });
});

test("hedging: client streaming sends the buffered stream to every copy", async () => {
  const s = await startFailingServer(() => ({ failures: 1 }));
  const config: ServiceConfig = { methodConfig: [{ name: [{ service }], hedgingPolicy: { maxAttempts: 2, nonFatalStatusCodes: ["UNAVAILABLE"] } }] };
  await withChannel(s.port, { serviceConfig: config }, async (client) => {
    const res = await client.clientStream(messages([{ tag: "hcs" }, { tag: "hcs" }, { tag: "hcs" }]), { timeoutMs: 3000 });
    assert.equal(res.receivedCount, 3);
  });
  assert.equal(s.seen.get("hcs")?.length, 2);
  await s.server.close({ graceMs: 100 });
});

test("a request stream larger than the per-call buffer commits to its attempt: no retry, but the call works", async () => {
  const s = await startFailingServer((tag) => ({ failures: tag === "big-fail" ? 1 : 0 }));
  await withChannel(s.port, { serviceConfig: retryConfig(), perCallRetryBufferBytes: 1000 }, async (client) => {
    const big = () => messages([1, 2, 3].map(() => ({ tag: "big", payload: new Uint8Array(600) })));
    assert.equal((await client.clientStream(big())).receivedCount, 3);
    const failing = messages([1, 2, 3].map(() => ({ tag: "big-fail", payload: new Uint8Array(600) })));
    await assert.rejects(client.clientStream(failing), (e: unknown) => e instanceof RpcError && e.code === Code.UNAVAILABLE);
  });
  assert.equal(s.seen.get("big-fail")?.length, 1);
  await s.server.close({ graceMs: 100 });
});

test("method config: timeout, message limits and names apply to calls", async () => {
  const s = await startFailingServer(() => ({ failures: 0, firstAttemptDelayMs: 2000 }));
  const config: ServiceConfig = {
    methodConfig: [
      { name: [{ service, method: "Unary" }], timeout: "0.1s" },
      { name: [{ service, method: "ServerStream" }], maxRequestMessageBytes: 10 },
    ],
  };
  await withChannel(s.port, { serviceConfig: config }, async (client) => {
    await assert.rejects(client.unary({ tag: "slow" }), (e: unknown) => e instanceof RpcError && e.code === Code.DEADLINE_EXCEEDED);
    await assert.rejects(collect(client.serverStream({ tag: "x", payload: new Uint8Array(100) })), (e: unknown) => e instanceof RpcError && e.code === Code.RESOURCE_EXHAUSTED);
  });
  await s.server.close({ graceMs: 100 });
});

test("a bad service config is refused at createChannel, naming the field", () => {
  assert.throws(
    () => createChannel("http://127.0.0.1:1", { serviceConfig: { methodConfig: [{ name: [{}], retryPolicy: { maxAttempts: 1 } as never }] } }),
    (e: unknown) => e instanceof TypeError && e.message.startsWith("serviceConfig.methodConfig[0].retryPolicy"),
  );
  assert.throws(() => createChannel("http://127.0.0.1:1", { serviceConfig: "{not json" }), TypeError);
});

test("a burst of 8 calls on a fresh connection to a server allowing 2 streams all complete (queued on the client above MAX_CONCURRENT_STREAMS)", async () => {
  const s = await startFailingServer(() => ({ failures: 0, firstAttemptDelayMs: 20 }), { maxConcurrentStreams: 2 });
  await withChannel(s.port, {}, async (client) => {
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => client.unary({ tag: `b${i}` }, { timeoutMs: 5000 })));
    assert.deepEqual(results.map((r) => r.status), Array(8).fill("fulfilled"));
  });
  await s.server.close({ graceMs: 100 });
});

test("without transparent retry (enableRetries: false) the same burst still completes: streams open only after the server's SETTINGS", async () => {
  // The channel is READY once the server's first SETTINGS arrived, so its stream limit is known and
  // calls above it wait on the client. Refused streams that do happen are transparent-retry.test.ts's.
  const s = await startFailingServer(() => ({ failures: 0, firstAttemptDelayMs: 20 }), { maxConcurrentStreams: 2 });
  await withChannel(s.port, { enableRetries: false }, async (client) => {
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => client.unary({ tag: `b${i}` }, { timeoutMs: 5000 })));
    assert.deepEqual(results.map((r) => r.status), Array(8).fill("fulfilled"));
  });
  await s.server.close({ graceMs: 100 });
});


test("a burst of 8 client-streaming calls to a server allowing 2 streams all complete (queued, request streams intact)", async () => {
  const s = await startFailingServer(() => ({ failures: 0, firstAttemptDelayMs: 20 }), { maxConcurrentStreams: 2 });
  await withChannel(s.port, {}, async (client) => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => client.clientStream(messages([{ tag: `cs${i}` }, { tag: `cs${i}` }, { tag: `cs${i}` }]), { timeoutMs: 5000 })),
    );
    assert.deepEqual(results.map((r) => r.receivedCount), Array(8).fill(3));
  });
  await s.server.close({ graceMs: 100 });
});

test("hedging: server streaming reads the copy that answered first", async () => {
  const s = await startFailingServer(() => ({ failures: 0, firstAttemptDelayMs: 5000 }));
  const config: ServiceConfig = { methodConfig: [{ name: [{ service }], hedgingPolicy: { maxAttempts: 2, hedgingDelay: "0.05s" } }] };
  await withChannel(s.port, { serviceConfig: config }, async (client) => {
    const got = await collect(client.serverStream({ tag: "hss", responseCount: 4 }, { timeoutMs: 3000 }));
    assert.deepEqual(got.map((m) => m.index), [0, 1, 2, 3]);
  });
  assert.deepEqual(s.seen.get("hss"), ["-", "1"]);
  await s.server.close({ graceMs: 100 });
});
