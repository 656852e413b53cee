// What a call holds for a peer that sends and does not read: bounded by bytes,
// compressed or not, on both sides. Each test pushes far more than the bound
// and checks the memory left held (after garbage collection) stays near one
// message, where holding everything would be ten times more.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { setTimeout as sleep } from "node:timers/promises";
import { createChannel, createClient, createServer } from "../../src/index.js";
import { EchoService } from "./echo-service.js";
import { assertNoLeaks } from "./leak-check.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const MiB = 1024 * 1024;

/** Bytes of ArrayBuffers still reachable, after collecting the rest. */
async function heldBytes(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(20);
  }
  return process.memoryUsage().arrayBuffers;
}

async function* requests(count: number, bytes: number, sent: { count: number }) {
  for (let i = 0; i < count; i++) {
    sent.count++;
    yield { payload: new Uint8Array(bytes) };
  }
}

/** Resolves once `count()` has not changed for a while: the sender is blocked, or done. */
async function settled(count: () => number): Promise<void> {
  let last = -1;
  for (let i = 0; i < 100 && count() !== last; i++) {
    last = count();
    await sleep(300);
  }
}

/** Runs `scenario` (which must leave its calls blocked, with the sender stalled or done) and returns how much memory it left held. */
async function growth(scenario: () => Promise<void>): Promise<number> {
  const before = await heldBytes();
  await scenario();
  return (await heldBytes()) - before;
}

for (const compression of ["gzip", "identity"] as const) {
  // Compressed, each 2 MiB message is ~2 KiB on the wire: all of them fit in one flow-control window.
  const count = compression === "gzip" ? 60 : 24;
  const size = compression === "gzip" ? 2 * MiB : 4 * MiB - 64;

  test(`a server holds about one ${compression} request for a handler that does not read`, { timeout: 30_000 }, async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const server = createServer().service(EchoService, {
      async *bidi(reqs) {
        await gate;
        let received = 0;
        for await (const r of reqs) if (r.payload.byteLength === size) received++;
        yield { receivedCount: received };
      },
    });
    const { port } = await server.listen("127.0.0.1:0");
    const channel = createChannel(`http://127.0.0.1:${port}`, { compression });
    const sent = { count: 0 };
    let response!: Promise<IteratorResult<{ receivedCount: number }>>;
    const grown = await growth(async () => {
      response = createClient(EchoService, channel).bidi(requests(count, size, sent))[Symbol.asyncIterator]().next();
      await settled(() => sent.count);
    });
    const sentBefore = sent.count;
    release();
    assert.equal((await response).value?.receivedCount, count, "every request reaches the handler once it reads");
    channel.close();
    await server.close();
    await assertNoLeaks();
    assert.ok(sentBefore >= 2, `the client sent only ${sentBefore} messages`);
    assert.ok(grown < 24 * MiB, `the server held ${(grown / MiB).toFixed(1)} MiB (${sentBefore} messages sent: ${(sentBefore * size) / MiB} MiB)`);
  });

  test(`a client holds about one ${compression} response for a caller that does not read`, { timeout: 30_000 }, async () => {
    let yielded = 0;
    const server = createServer({ compression }).service(EchoService, {
      async *serverStream() {
        for (let i = 0; i < count; i++) {
          yielded++;
          yield { payload: new Uint8Array(size), index: i };
        }
      },
    });
    const { port } = await server.listen("127.0.0.1:0");
    const channel = createChannel(`http://127.0.0.1:${port}`);
    let it!: AsyncIterator<{ index: number; payload: Uint8Array }>;
    const grown = await growth(async () => {
      it = createClient(EchoService, channel).serverStream({})[Symbol.asyncIterator]();
      assert.equal((await it.next()).value?.index, 0);
      await settled(() => yielded);
    });
    const yieldedBefore = yielded;
    let next = 1;
    for (let r = await it.next(); !r.done; r = await it.next()) assert.equal(r.value.index, next++);
    assert.equal(next, count, "every response reaches the caller once it reads");
    channel.close();
    await server.close();
    await assertNoLeaks();
    assert.ok(yieldedBefore > 2, `the server sent only ${yieldedBefore} messages`);
    assert.ok(grown < 24 * MiB, `the client held ${(grown / MiB).toFixed(1)} MiB (${yieldedBefore} messages sent: ${(yieldedBefore * size) / MiB} MiB)`);
  });
}
