// Flow control end to end: a slow reader holds the writer back on both sides.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { once } from "node:events";
import http2 from "node:http2";
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

test("a server stream to a peer that reads nothing stops after a few small messages, and the call still ends", { timeout: 30_000 }, async () => {
  let yielded = 0;
  const server = createServer().service(EchoService, {
    async *serverStream(_req, ctx) {
      while (!ctx.signal.aborted) {
        yielded++;
        yield { payload: new Uint8Array(100) };
      }
    },
  });
  const { port } = await server.listen("127.0.0.1:0");
  // A stream window of 0: the server can send headers but no message byte.
  const session = http2.connect(`http://127.0.0.1:${port}`, { settings: { initialWindowSize: 0 } });
  session.on("error", () => {});
  const stream = session.request({ ":method": "POST", ":path": "/tsgrpc.test.v1.EchoService/ServerStream", "content-type": "application/grpc", te: "trailers" });
  stream.on("error", () => {});
  stream.end(Buffer.from([0, 0, 0, 0, 0]));
  await once(stream, "response");
  await sleep(300);
  // One write in flight, a small batch and one held message: not Node's 16 KiB of writes (about 150 of these).
  assert.ok(yielded > 0 && yielded <= 10, `the handler produced ${yielded} messages for a peer that reads nothing`);
  stream.close(http2.constants.NGHTTP2_CANCEL);
  session.close();
  await server.close();
});
