// Flow control end to end: a slow reader holds the writer back on both sides.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { createChannel, createClient, createServer } from "../../src/index.js";
import { EchoService } from "./echo-service.js";

const chunk = new Uint8Array(64 * 1024);
const total = 2000; // 125 MiB if nothing held the writer back

test("a handler's yield waits while the client does not read", { timeout: 30_000 }, async () => {
  let yielded = 0;
  const server = createServer().service(EchoService, {
    async *serverStream() {
      for (let i = 0; i < total; i++) {
        yielded++;
        yield { payload: chunk, index: i };
      }
    },
  });
  const { port } = await server.listen("127.0.0.1:0");
  const channel = createChannel(`http://127.0.0.1:${port}`);
  const it = createClient(EchoService, channel).serverStream({})[Symbol.asyncIterator]();
  assert.equal((await it.next()).value?.index, 0);
  await sleep(500);
  const stalledAt = yielded;
  assert.ok(stalledAt < 200, `the handler ran ahead by ${stalledAt} messages of 64 KiB`);
  let n = 1;
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    assert.equal(r.value.index, n++);
  }
  assert.equal(n, total);
  channel.close();
  await server.close();
});

test("a client's request stream waits while the handler does not read", { timeout: 30_000 }, async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const server = createServer().service(EchoService, {
    async clientStream(reqs) {
      let count = 0;
      for await (const _ of reqs) {
        if (count++ === 0) await gate;
      }
      return { receivedCount: count };
    },
  });
  const { port } = await server.listen("127.0.0.1:0");
  const channel = createChannel(`http://127.0.0.1:${port}`);
  let pulled = 0;
  async function* requests() {
    for (let i = 0; i < total; i++) {
      pulled++;
      yield { payload: chunk };
    }
  }
  const result = createClient(EchoService, channel).clientStream(requests());
  await sleep(500);
  const stalledAt = pulled;
  assert.ok(stalledAt < 200, `the client pulled ${stalledAt} messages of 64 KiB ahead of the handler`);
  release();
  assert.equal((await result).receivedCount, total);
  channel.close();
  await server.close();
});
