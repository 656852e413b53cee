// The retry and hedging state machine, driven deterministically: attempts
// are real ClientCalls on scripted in-memory wires, time is a fake clock.
import { test } from "node:test";
import assert from "node:assert/strict";
import { findCompression } from "../internal/compression.js";
import { create, toBinary, type Message } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { protoCodec } from "../codec/proto-codec.js";
import type { StreamResponse, UnaryResponse } from "../interceptor.js";
import type { ClientWire, ClientWireSink } from "../internal/transport/client-wire.js";
import { Metadata } from "../metadata/metadata.js";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";
import { createWritableIterable } from "../writable-iterable.js";
import { ClientCall, type AttemptHooks } from "./client-call.js";
import { createRetryBufferBudget, StreamReplay, UnaryReplay, type RequestReplay } from "./request-replay.js";
import { createRetryThrottle, unthrottled, type RetryThrottle } from "./retry-throttle.js";
import { RetryingCall, parsePushback, type RetryClock } from "./retrying-call.js";
import type { HedgingSettings, RetrySettings } from "./service-config.js";

/** A wire whose server side the test plays. */
class ScriptedWire implements ClientWire {
  sink: ClientWireSink | undefined;
  readonly sent: Uint8Array[] = [];
  halfClosed = false;
  cancelled = false;
  unprocessed = false;
  pushback: string | undefined;
  #trailer = new Metadata();
  constructor(readonly previousAttempts: number) {}
  start(sink: ClientWireSink) {
    this.sink = sink;
  }
  send(payload: Uint8Array) {
    this.sent.push(payload);
    return undefined;
  }
  sendLast(payload: Uint8Array) {
    this.sent.push(payload);
    this.halfClosed = true;
  }
  closeSend() {
    this.halfClosed = true;
  }
  get sendClosed() {
    return this.halfClosed;
  }
  cancel() {
    this.cancelled = true;
  }
  finished() {}
  pause() {}
  resume() {}
  header() {
    return new Metadata();
  }
  trailer() {
    return this.#trailer;
  }
  retryPushback() {
    return this.pushback;
  }
  // The server's side.
  respond() {
    this.sink!.headerReceived(undefined, false);
  }
  reply(value: string) {
    this.sink!.message(toBinary(StringValueSchema, create(StringValueSchema, { value })), false);
  }
  ok(value?: string) {
    if (value !== undefined) {
      this.respond();
      this.reply(value);
    }
    this.sink!.status(Code.OK, "", []);
  }
  /** A trailers-only failure: what a server sends when it fails before answering. */
  fail(code: Code, options: { pushback?: string; unprocessed?: boolean } = {}) {
    this.pushback = options.pushback;
    if (options.unprocessed) {
      this.unprocessed = true;
      this.sink!.failed(new RpcError(Code.UNAVAILABLE, "stream refused"));
      return;
    }
    this.#trailer.set("x-attempt", String(this.previousAttempts));
    this.sink!.headerReceived(undefined, true);
    this.sink!.status(code, `failure ${this.previousAttempts}`, []);
  }
}

class FakeClock implements RetryClock {
  time = Date.now();
  randomValue = 0.5;
  timers: { at: number; fn: () => void; id: number }[] = [];
  #next = 1;
  now() {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number) {
    const id = this.#next++;
    this.timers.push({ at: this.time + ms, fn, id });
    return id;
  }
  clearTimeout(id: unknown) {
    this.timers = this.timers.filter((t) => t.id !== id);
  }
  random() {
    return this.randomValue;
  }
  /** The delay of the only pending timer. */
  pending(): number | undefined {
    assert.ok(this.timers.length <= 1, "at most one timer");
    return this.timers[0] ? this.timers[0].at - this.time : undefined;
  }
  advance(ms: number) {
    this.time += ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= this.time).sort((a, b) => a.at - b.at)[0];
      if (!due) return;
      this.timers = this.timers.filter((t) => t !== due);
      due.fn();
    }
  }
}

const retry: RetrySettings = { maxAttempts: 4, initialBackoffMs: 100, maxBackoffMs: 300, backoffMultiplier: 2, retryableCodes: new Set([Code.UNAVAILABLE]) };
const hedging: HedgingSettings = { maxAttempts: 3, hedgingDelayMs: 50, nonFatalCodes: new Set([Code.UNAVAILABLE]) };

interface Harness {
  wires: ScriptedWire[];
  clock: FakeClock;
  result: Promise<UnaryResponse | StreamResponse>;
  call: RetryingCall;
  headers: Metadata[];
  trailers: Metadata[];
}

function run(options: {
  retry?: RetrySettings;
  hedging?: HedgingSettings;
  request?: (events: { call: () => RetryingCall }) => RequestReplay;
  throttle?: RetryThrottle;
  streamingResponse?: boolean;
  deadlineMs?: number;
  signal?: AbortSignal;
  transparent?: boolean;
}): Harness {
  const wires: ScriptedWire[] = [];
  const clock = new FakeClock();
  const headers: Metadata[] = [];
  const trailers: Metadata[] = [];
  let call!: RetryingCall;
  const request = options.request?.({ call: () => call }) ?? new UnaryReplay(new Uint8Array([1, 2, 3]), options.retry || options.hedging ? createRetryBufferBudget(1 << 20) : undefined, 1 << 18);
  call = new RetryingCall({
    streamingResponse: options.streamingResponse ?? false,
    request,
    retry: options.retry,
    hedging: options.hedging,
    transparentRetry: options.transparent ?? true,
    throttle: options.throttle ?? unthrottled,
    deadline: options.deadlineMs === undefined ? undefined : clock.time + options.deadlineMs,
    signal: options.signal,
    clock,
    startAttempt(previousAttempts: number, hooks: AttemptHooks) {
      const wire = new ScriptedWire(previousAttempts);
      wires.push(wire);
      return new ClientCall(wire, {
        output: StringValueSchema,
        codec: protoCodec,
        maxReceiveBytes: 1 << 20,
        sendCompression: undefined,
        findCompression,
        deadline: undefined,
        signal: options.signal,
        onHeader: (h) => headers.push(h),
        onTrailer: (t) => trailers.push(t),
        attempt: hooks,
      });
    },
  });
  const result = call.start();
  result.catch(() => undefined);
  return { wires, clock, result, call, headers, trailers };
}

async function value(result: Promise<UnaryResponse | StreamResponse>): Promise<string> {
  return (((await result) as UnaryResponse).message as unknown as { value: string }).value;
}

async function rejectsWith(result: Promise<unknown>, code: Code, message?: RegExp): Promise<void> {
  await assert.rejects(result, (e: unknown) => {
    assert.ok(e instanceof RpcError, String(e));
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.rawMessage, message);
    return true;
  });
}

test("retry: backoff grows by the multiplier up to its bound, with jitter; success on the third attempt", async () => {
  const h = run({ retry });
  assert.equal(h.wires.length, 1);
  assert.deepEqual([...h.wires[0]!.sent[0]!], [1, 2, 3]);
  h.wires[0]!.fail(Code.UNAVAILABLE);
  assert.equal(h.clock.pending(), 50); // random 0.5 × 100
  h.clock.advance(50);
  assert.equal(h.wires.length, 2);
  assert.equal(h.wires[1]!.previousAttempts, 1);
  h.wires[1]!.fail(Code.UNAVAILABLE);
  assert.equal(h.clock.pending(), 100); // 0.5 × 200
  h.clock.advance(100);
  h.wires[2]!.ok("done");
  assert.equal(await value(h.result), "done");
  assert.equal(h.wires[2]!.previousAttempts, 2);
  // The caller heard only of the attempt that counted.
  assert.equal(h.headers.length, 1);
  assert.equal(h.trailers.length, 1);
  assert.equal(h.trailers[0]!.get("x-attempt"), undefined);
});

test("retry: the backoff bound stops at maxBackoff; the jitter spans [0, bound)", () => {
  const h = run({ retry: { ...retry, maxAttempts: 5 } });
  h.clock.randomValue = 0.999;
  const delays: number[] = [];
  for (let i = 0; i < 4; i++) {
    h.wires[i]!.fail(Code.UNAVAILABLE);
    delays.push(Math.round(h.clock.pending()!));
    h.clock.advance(h.clock.pending()!);
  }
  assert.deepEqual(delays, [100, 200, 300, 300]);
  h.wires[4]!.ok("x");
});

test("retry: maxAttempts ends the call with the last attempt's failure, trailers included", async () => {
  const h = run({ retry: { ...retry, maxAttempts: 2 } });
  h.wires[0]!.fail(Code.UNAVAILABLE);
  h.clock.advance(1000);
  h.wires[1]!.fail(Code.UNAVAILABLE);
  await rejectsWith(h.result, Code.UNAVAILABLE, /failure 1/);
  assert.equal(h.wires.length, 2);
  assert.equal(h.clock.timers.length, 0);
  assert.equal(h.trailers.length, 1);
  assert.equal(h.trailers[0]!.get("x-attempt"), "1");
});

test("retry: a code not in retryableStatusCodes is final", async () => {
  const h = run({ retry });
  h.wires[0]!.fail(Code.INTERNAL);
  await rejectsWith(h.result, Code.INTERNAL);
  assert.equal(h.wires.length, 1);
});

test("retry: response headers commit the call; a failure after them is not retried", async () => {
  const h = run({ retry });
  h.wires[0]!.respond();
  h.wires[0]!.sink!.status(Code.UNAVAILABLE, "late", []);
  await rejectsWith(h.result, Code.UNAVAILABLE, /late/);
  assert.equal(h.wires.length, 1);
});

test("pushback: a valid delay replaces the backoff and resets it; negative or malformed stops retries", async () => {
  const h = run({ retry: { ...retry, maxAttempts: 5 } });
  h.wires[0]!.fail(Code.UNAVAILABLE);
  h.clock.advance(50);
  h.wires[1]!.fail(Code.UNAVAILABLE, { pushback: "250" });
  assert.equal(h.clock.pending(), 250);
  h.clock.advance(250);
  h.wires[2]!.fail(Code.UNAVAILABLE);
  assert.equal(h.clock.pending(), 50, "the backoff started again from initialBackoff");
  h.clock.advance(50);
  h.wires[3]!.fail(Code.UNAVAILABLE, { pushback: "-1" });
  await rejectsWith(h.result, Code.UNAVAILABLE);
  assert.equal(h.wires.length, 4);

  for (const raw of ["abc", "1.5", "", "+5", "2147483648"]) {
    const g = run({ retry });
    g.wires[0]!.fail(Code.UNAVAILABLE, { pushback: raw });
    await rejectsWith(g.result, Code.UNAVAILABLE);
    assert.equal(g.wires.length, 1, `pushback ${JSON.stringify(raw)}`);
  }
  assert.equal(parsePushback("0"), 0);
  assert.equal(parsePushback("2147483647"), 2147483647);
});

test("throttling: each retryable failure costs a token, successes earn tokenRatio; at half or below, no retries", async () => {
  const throttle = createRetryThrottle({ maxTokens: 3, tokenRatio: 0.5 });
  const a = run({ retry, throttle });
  a.wires[0]!.fail(Code.UNAVAILABLE); // 2 > 1.5: retry
  a.clock.advance(1000);
  a.wires[1]!.fail(Code.UNAVAILABLE); // 1: no more
  await rejectsWith(a.result, Code.UNAVAILABLE);
  assert.equal(a.wires.length, 2);
  const b = run({ retry, throttle });
  b.wires[0]!.ok("x"); // 1.5: still throttled
  await b.result;
  const c = run({ retry, throttle });
  c.wires[0]!.fail(Code.UNAVAILABLE); // 0.5
  await rejectsWith(c.result, Code.UNAVAILABLE);
  for (let i = 0; i < 4; i++) {
    const ok = run({ retry, throttle });
    ok.wires[0]!.ok("x");
    await ok.result;
  } // 2.5
  const d = run({ retry, throttle });
  d.wires[0]!.fail(Code.UNAVAILABLE); // 1.5: stop
  assert.equal(d.wires.length, 1);
  const e = run({ retry, throttle: createRetryThrottle({ maxTokens: 3, tokenRatio: 0.5 }) });
  e.wires[0]!.fail(Code.INVALID_ARGUMENT);
  await rejectsWith(e.result, Code.INVALID_ARGUMENT);
  assert.ok(createRetryThrottle({ maxTokens: 3, tokenRatio: 0.5 }).allows());
});

test("transparent retry: an unprocessed attempt is repeated at once, uncounted, once per call", async () => {
  const h = run({ retry: { ...retry, maxAttempts: 2 } });
  h.wires[0]!.fail(Code.UNAVAILABLE, { unprocessed: true });
  assert.equal(h.wires.length, 2, "no backoff");
  assert.equal(h.wires[1]!.previousAttempts, 0, "it stands in for the first attempt");
  h.wires[1]!.fail(Code.UNAVAILABLE, { unprocessed: true });
  // The second refusal goes to the policy: one more attempt, the last.
  assert.equal(h.clock.pending(), 50);
  h.clock.advance(50);
  assert.equal(h.wires[2]!.previousAttempts, 1);
  h.wires[2]!.ok("x");
  assert.equal(await value(h.result), "x");
});

test("transparent retry works without a policy, and not when disabled", async () => {
  const h = run({});
  h.wires[0]!.fail(Code.UNAVAILABLE, { unprocessed: true });
  h.wires[1]!.ok("x");
  assert.equal(await value(h.result), "x");
  const off = run({ transparent: false });
  off.wires[0]!.fail(Code.UNAVAILABLE, { unprocessed: true });
  await rejectsWith(off.result, Code.UNAVAILABLE);
  assert.equal(off.wires.length, 1);
});

test("cancelling during the backoff ends the call at once", async () => {
  const ac = new AbortController();
  const h = run({ retry, signal: ac.signal });
  h.wires[0]!.fail(Code.UNAVAILABLE);
  assert.equal(h.clock.timers.length, 1);
  ac.abort();
  await rejectsWith(h.result, Code.CANCELLED);
  assert.equal(h.clock.timers.length, 0);
  assert.equal(h.wires.length, 1);
});

test("a deadline that falls within the backoff ends the call with DEADLINE_EXCEEDED at the deadline", async () => {
  const h = run({ retry: { ...retry, initialBackoffMs: 10_000, maxBackoffMs: 10_000 }, deadlineMs: 1000 });
  h.wires[0]!.fail(Code.UNAVAILABLE);
  assert.equal(h.clock.pending(), 1000);
  h.clock.advance(1000);
  await rejectsWith(h.result, Code.DEADLINE_EXCEEDED, /after 1 attempt, the last of which failed/);
  assert.equal(h.wires.length, 1);
});

test("hedging: copies start every hedgingDelay; the first to answer wins and the others are cancelled", async () => {
  const h = run({ hedging });
  assert.equal(h.wires.length, 1);
  h.clock.advance(50);
  assert.equal(h.wires.length, 2);
  assert.equal(h.wires[1]!.previousAttempts, 1);
  assert.deepEqual([...h.wires[1]!.sent[0]!], [1, 2, 3]);
  h.wires[1]!.ok("second");
  assert.equal(await value(h.result), "second");
  assert.equal(h.wires[0]!.cancelled, true);
  assert.equal(h.clock.timers.length, 0, "no more hedges");
  assert.equal(h.headers.length, 1);
});

test("hedging: a zero delay sends every copy at once", () => {
  const h = run({ hedging: { ...hedging, hedgingDelayMs: 0 } });
  assert.equal(h.wires.length, 3);
  assert.equal(h.clock.timers.length, 0);
  h.wires[2]!.ok("x");
  assert.deepEqual(h.wires.map((w) => w.cancelled), [true, true, false]);
});

test("hedging: a non-fatal failure sends the next copy at once; the call fails only when all have", async () => {
  const h = run({ hedging });
  h.wires[0]!.fail(Code.UNAVAILABLE);
  assert.equal(h.wires.length, 2, "sent at once");
  assert.equal(h.clock.pending(), 50, "the one after keeps the delay");
  h.clock.advance(50);
  assert.equal(h.wires.length, 3);
  h.wires[2]!.fail(Code.UNAVAILABLE);
  let settled = false;
  void h.result.catch(() => (settled = true));
  await Promise.resolve();
  assert.equal(settled, false, "one copy is still in flight");
  h.wires[1]!.fail(Code.UNAVAILABLE);
  await rejectsWith(h.result, Code.UNAVAILABLE, /failure 1/);
});

test("hedging: a fatal code ends the call and cancels the other copies", async () => {
  const h = run({ hedging });
  h.clock.advance(50);
  h.wires[1]!.fail(Code.PERMISSION_DENIED);
  await rejectsWith(h.result, Code.PERMISSION_DENIED);
  assert.equal(h.wires[0]!.cancelled, true);
  assert.equal(h.clock.timers.length, 0);
});

test("hedging: pushback delays the next copy, or stops them", async () => {
  const h = run({ hedging });
  h.wires[0]!.fail(Code.UNAVAILABLE, { pushback: "500" });
  assert.equal(h.wires.length, 1);
  assert.equal(h.clock.pending(), 500);
  h.clock.advance(500);
  assert.equal(h.wires.length, 2);
  h.wires[1]!.fail(Code.UNAVAILABLE, { pushback: "-1" });
  await rejectsWith(h.result, Code.UNAVAILABLE);
  assert.equal(h.wires.length, 2);
});

test("hedging: throttled copies are not sent", async () => {
  const throttle = createRetryThrottle({ maxTokens: 2, tokenRatio: 0.1 });
  const h = run({ hedging, throttle });
  h.wires[0]!.fail(Code.UNAVAILABLE); // 1 ≤ 1: no copy
  await rejectsWith(h.result, Code.UNAVAILABLE);
  assert.equal(h.wires.length, 1);
});

function streamRequest(events: { call: () => RetryingCall }, source: AsyncIterable<Message>, perCallBytes = 1 << 18): StreamReplay {
  return new StreamReplay(
    source,
    (m) => toBinary(StringValueSchema, m as never),
    undefined,
    createRetryBufferBudget(1 << 20),
    perCallBytes,
    { overflow: (leader) => events.call().overflow(leader), failed: (e) => events.call().cancel(e) },
  );
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test("request streams are replayed to a retry from the buffer, as the same bytes, then continue from the source", async () => {
  const source = createWritableIterable<Message>();
  const h = run({ retry, request: (e) => streamRequest(e, source) });
  await source.write(create(StringValueSchema, { value: "a" }));
  await source.write(create(StringValueSchema, { value: "b" }));
  await tick();
  assert.equal(h.wires[0]!.sent.length, 2);
  h.wires[0]!.fail(Code.UNAVAILABLE);
  h.clock.advance(50);
  await tick();
  assert.equal(h.wires[1]!.sent.length, 2);
  assert.equal(h.wires[1]!.sent[0], h.wires[0]!.sent[0], "the buffered bytes, not a new serialization");
  await source.write(create(StringValueSchema, { value: "c" }));
  source.close();
  await tick();
  assert.equal(h.wires[1]!.sent.length, 3);
  assert.equal(h.wires[1]!.halfClosed, true);
  h.wires[1]!.ok("x");
  assert.equal(await value(h.result), "x");
});

test("a request stream over the per-call buffer commits to its attempt: a later failure is final", async () => {
  const source = createWritableIterable<Message>();
  const h = run({ retry, request: (e) => streamRequest(e, source, 5) });
  await source.write(create(StringValueSchema, { value: "0123456789" }));
  await tick();
  h.wires[0]!.fail(Code.UNAVAILABLE);
  await rejectsWith(h.result, Code.UNAVAILABLE);
  assert.equal(h.wires.length, 1);
});

test("hedged request streams: every copy gets every message; the buffer overflowing keeps the copy that sent most", async () => {
  const source = createWritableIterable<Message>();
  const h = run({ hedging: { ...hedging, hedgingDelayMs: 0, maxAttempts: 2 }, request: (e) => streamRequest(e, source, 30) });
  await source.write(create(StringValueSchema, { value: "one" }));
  await tick();
  assert.deepEqual(h.wires.map((w) => w.sent.length), [1, 1]);
  await source.write(create(StringValueSchema, { value: "x".repeat(40) }));
  await tick();
  assert.equal(h.wires.filter((w) => w.cancelled).length, 1, "one copy was dropped");
  const kept = h.wires.find((w) => !w.cancelled)!;
  assert.equal(kept.sent.length, 2);
  source.close();
  await tick();
  kept.ok("x");
  assert.equal(await value(h.result), "x");
});

test("streaming responses: the stream waits for the commit, then reads the chosen attempt", async () => {
  const h = run({ retry, streamingResponse: true });
  const res = (await h.result) as StreamResponse;
  const it = res.message[Symbol.asyncIterator]();
  const first = it.next();
  h.wires[0]!.fail(Code.UNAVAILABLE);
  h.clock.advance(50);
  h.wires[1]!.respond();
  h.wires[1]!.reply("m1");
  assert.equal(((await first).value as { value: string }).value, "m1");
  h.wires[1]!.ok();
  assert.equal((await it.next()).done, true);
});

test("streaming responses: a failure before the commit reaches the reader", async () => {
  const h = run({ retry: { ...retry, maxAttempts: 2 }, streamingResponse: true });
  const it = ((await h.result) as StreamResponse).message[Symbol.asyncIterator]();
  const first = it.next();
  h.wires[0]!.fail(Code.UNAVAILABLE);
  h.clock.advance(50);
  h.wires[1]!.fail(Code.UNAVAILABLE);
  await rejectsWith(first, Code.UNAVAILABLE);
});

test("leaving a response stream during the backoff cancels the call", async () => {
  const h = run({ retry, streamingResponse: true });
  const it = ((await h.result) as StreamResponse).message[Symbol.asyncIterator]();
  h.wires[0]!.fail(Code.UNAVAILABLE);
  assert.equal(h.clock.timers.length, 1);
  await it.return!();
  assert.equal(h.clock.timers.length, 0);
  assert.equal(h.wires.length, 1);
});
