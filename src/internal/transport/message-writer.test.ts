import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { EnvelopeReader } from "../envelope.js";
import { MessageWriter } from "./message-writer.js";

/** A stream whose writes complete only when the test says so, as a peer that does not read. */
class HeldStream extends Writable {
  readonly writes: Buffer[] = [];
  readonly #pending: (() => void)[] = [];
  ended = false;
  constructor() {
    super({ highWaterMark: 16 * 1024 });
  }
  override _writev(chunks: { chunk: Buffer }[], callback: () => void): void {
    for (const c of chunks) this.writes.push(c.chunk);
    this.#pending.push(callback);
  }
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.writes.push(chunk);
    this.#pending.push(callback);
  }
  override _final(callback: () => void): void {
    this.ended = true;
    callback();
  }
  /** Completes the oldest write. */
  complete(): void {
    this.#pending.shift()?.();
  }
  get waiting(): number {
    return this.#pending.length;
  }
  messages(): string[] {
    const reader = new EnvelopeReader(1 << 20);
    const out: string[] = [];
    for (const w of this.writes) for (const e of reader.push(w)) out.push(Buffer.from(e.data).toString());
    return out;
  }
}

const msg = (s: string) => Buffer.from(s);
const turn = () => new Promise((r) => setImmediate(r));

test("the first message goes out at once; the next ones wait in one batch behind it and go out as one write", async () => {
  const stream = new HeldStream();
  const writer = new MessageWriter(stream, 64);
  assert.equal(writer.send(msg("a"), 0), undefined);
  assert.equal(writer.send(msg("b"), 0), undefined);
  assert.equal(writer.send(msg("c"), 0), undefined);
  await turn();
  assert.equal(stream.writes.length, 1);
  stream.complete();
  await turn();
  assert.equal(stream.writes.length, 2, "b and c in one write");
  assert.deepEqual(stream.messages(), ["a", "b", "c"]);
});

test("a blocked peer: the sender waits once the batch is full, and goes on when the held message is out", async () => {
  const stream = new HeldStream();
  const writer = new MessageWriter(stream, 20); // room for two 5-byte messages (10 bytes framed each)
  writer.send(msg("11111"), 0);
  assert.equal(writer.send(msg("22222"), 0), undefined);
  assert.equal(writer.send(msg("33333"), 0), undefined);
  const wait = writer.send(msg("44444"), 0);
  assert.ok(wait instanceof Promise, "the fourth message waits");
  let released = false;
  void wait.then(() => (released = true));
  await turn();
  assert.equal(released, false);
  assert.equal(stream.writes.length, 1, "a blocked call holds one write, one batch and one message");
  stream.complete();
  await turn();
  assert.equal(released, true);
  while (stream.waiting > 0) {
    stream.complete();
    await turn();
  }
  assert.deepEqual(stream.messages(), ["11111", "22222", "33333", "44444"]);
});

test("end goes out behind everything sent before it, with the last message last", async () => {
  const stream = new HeldStream();
  const writer = new MessageWriter(stream, 20);
  writer.send(msg("11111"), 0);
  writer.send(msg("22222"), 0);
  writer.send(msg("33333"), 0);
  const wait = writer.send(msg("44444"), 0);
  writer.end(msg("last"), 0);
  await wait; // ending lets a waiting sender go
  await turn();
  assert.equal(stream.ended, false);
  while (stream.waiting > 0) {
    stream.complete();
    await turn();
  }
  assert.equal(stream.ended, true);
  assert.deepEqual(stream.messages(), ["11111", "22222", "33333", "44444", "last"]);
});

test("with nothing pending, end writes the last message and ends at once", async () => {
  const stream = new HeldStream();
  new MessageWriter(stream, 20).end(msg("only"), 1);
  await turn();
  assert.deepEqual(stream.messages(), ["only"]);
  stream.complete();
  await turn();
  assert.equal(stream.ended, true);
});

test("a message larger than the batch is held whole and written after the write in flight", async () => {
  const stream = new HeldStream();
  const writer = new MessageWriter(stream, 16);
  writer.send(msg("a"), 0);
  const big = "x".repeat(100);
  const wait = writer.send(msg(big), 0);
  assert.ok(wait instanceof Promise);
  stream.complete();
  await wait;
  assert.deepEqual(stream.messages(), ["a", big]);
});

test("close drops what waits and lets a waiting sender go; nothing is written after it", async () => {
  const stream = new HeldStream();
  const writer = new MessageWriter(stream, 20);
  writer.send(msg("11111"), 0);
  writer.send(msg("22222"), 0);
  writer.send(msg("33333"), 0);
  const wait = writer.send(msg("44444"), 0)!;
  writer.close();
  await wait;
  stream.complete();
  await turn();
  assert.equal(writer.send(msg("55555"), 0), undefined);
  assert.deepEqual(stream.messages(), ["11111"]);
});

test("a sender that does not wait loses nothing and keeps the order", async () => {
  const stream = new HeldStream();
  const writer = new MessageWriter(stream, 20);
  for (const m of ["11111", "22222", "33333", "44444", "55555", "66666"]) writer.send(msg(m), 0);
  writer.end();
  while (stream.waiting > 0) {
    stream.complete();
    await turn();
  }
  assert.deepEqual(stream.messages(), ["11111", "22222", "33333", "44444", "55555", "66666"]);
  assert.equal(stream.ended, true);
});

test("the batch doubles once the peer has taken a full one", async () => {
  const stream = new HeldStream();
  const writer = new MessageWriter(stream, 40, 20); // 20 bytes first: two 5-byte messages
  writer.send(msg("11111"), 0);
  writer.send(msg("22222"), 0);
  writer.send(msg("33333"), 0);
  const wait = writer.send(msg("44444"), 0);
  assert.ok(wait instanceof Promise, "the first batch holds two");
  stream.complete();
  await wait;
  // The peer took a full batch: the next one holds four.
  const next = ["55555", "66666", "77777", "88888"].map((m) => writer.send(msg(m), 0));
  assert.deepEqual(next, [undefined, undefined, undefined, undefined]);
  writer.end();
  while (stream.waiting > 0) {
    stream.complete();
    await turn();
  }
  assert.deepEqual(stream.messages(), ["11111", "22222", "33333", "44444", "55555", "66666", "77777", "88888"]);
});
