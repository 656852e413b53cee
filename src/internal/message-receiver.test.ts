import { test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { create, toBinary, type Message } from "@bufbuild/protobuf";
import { StructSchema } from "@bufbuild/protobuf/wkt";
import { protoCodec } from "../codec/proto-codec.js";
import { RpcError } from "../status/rpc-error.js";
import { AsyncQueue } from "./async-queue.js";
import { findCompression, type Compression } from "./compression.js";
import { MessageReceiver } from "./message-receiver.js";

const payload = toBinary(StructSchema, create(StructSchema, { fields: { k: { kind: { case: "stringValue", value: "x".repeat(1000) } } } }));
const compressed = gzipSync(payload);

/** A receiver feeding a queue, as a call wires them, with its inflations and pauses counted. */
function setup(highWaterBytes: number) {
  const gzip = findCompression("gzip")!;
  const counts = { inflated: 0, paused: 0, resumed: 0, failed: 0 };
  const compression: Compression = {
    ...gzip,
    decompress(data, max) {
      counts.inflated++;
      return gzip.decompress(data, max);
    },
  };
  let queue!: AsyncQueue<Message>;
  const receiver = new MessageReceiver(
    StructSchema,
    1 << 20,
    {
      delivered: (msg, _c, bytes) => queue.push(msg, bytes),
      fail: (e: RpcError) => {
        counts.failed++;
        throw e;
      },
    },
    protoCodec,
    { pause: () => counts.paused++, resume: () => counts.resumed++ },
    highWaterBytes,
  );
  receiver.compression = compression;
  queue = new AsyncQueue<Message>(
    highWaterBytes,
    () => receiver.hold(),
    () => receiver.release(),
    () => receiver.discard(),
  );
  return { receiver, queue, counts };
}

/** Waits until inflations stop completing (they run on the thread pool). */
async function settled(counts: { inflated: number }): Promise<void> {
  let last = -1;
  for (let i = 0; i < 100 && counts.inflated !== last; i++) {
    last = counts.inflated;
    await new Promise((r) => setTimeout(r, 30));
  }
}

test("compressed messages are inflated only while the reader has room", async () => {
  const { receiver, queue, counts } = setup(2000);
  for (let i = 0; i < 50; i++) receiver.receive(compressed, true);
  await settled(counts);
  // Two messages of ~1 KiB reach the 2,000-byte mark; the other 48 stay compressed.
  assert.equal(counts.inflated, 2);
  assert.equal(queue.queuedBytes > 2000, true);
  assert.equal(counts.paused, 1, "the stream is paused");
  let read = 0;
  while (read < 50) {
    await queue.next();
    read++;
    await settled(counts);
    assert.ok(queue.queuedBytes <= 2000 + payload.byteLength + 64, `${queue.queuedBytes} bytes queued`);
  }
  assert.equal(counts.inflated, 50);
  assert.equal(receiver.idle, true);
  assert.ok(counts.resumed >= 1, "the stream resumes once the reader catches up");
});

test("uncompressed messages count by bytes: the stream pauses at the mark, not after 16 messages", () => {
  const { receiver, queue, counts } = setup(4000);
  for (let i = 0; i < 3; i++) receiver.receive(payload, false);
  assert.equal(counts.paused, 0);
  receiver.receive(payload, false);
  assert.equal(counts.paused, 1);
  // What arrives while paused is held as received, in order.
  for (let i = 0; i < 5; i++) receiver.receive(payload, false);
  assert.equal(queue.queuedBytes, 4 * (payload.byteLength + 64));
  assert.equal(receiver.heldBytes, 5 * (payload.byteLength + 64));
});

test("discard drops what is held and lets the stream flow", async () => {
  const { receiver, counts } = setup(1000);
  // The first message fills the queue; the reader never comes.
  for (let i = 0; i < 10; i++) receiver.receive(compressed, true);
  await settled(counts);
  assert.ok(receiver.heldBytes > 0);
  let idle = false;
  receiver.whenIdle(() => (idle = true));
  receiver.discard();
  assert.equal(receiver.heldBytes, 0);
  assert.equal(idle, true);
  assert.equal(counts.resumed, 1);
  const inflated = counts.inflated;
  receiver.receive(compressed, true);
  await settled(counts);
  assert.equal(counts.inflated, inflated, "nothing is inflated after discard");
});
