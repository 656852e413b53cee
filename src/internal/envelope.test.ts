import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";
import { encodeEnvelope, EnvelopeReader } from "./envelope.js";
import { pieces } from "../../test/support/pieces.js";

test("reads messages back whatever the split of the byte stream", () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ data: fc.uint8Array({ maxLength: 300 }), compressed: fc.boolean() }), { maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      (messages, cuts) => {
        const wire = Buffer.concat(messages.map((m) => encodeEnvelope(m.data, m.compressed)));
        const reader = new EnvelopeReader(1 << 20);
        const got = pieces(wire, cuts).flatMap((chunk) => reader.push(chunk));
        assert.equal(got.length, messages.length);
        got.forEach((env, i) => {
          assert.equal(env.flags === 1, messages[i]!.compressed);
          assert.deepEqual(new Uint8Array(env.data), messages[i]!.data);
        });
        assert.equal(reader.partial, false);
      },
    ),
    { numRuns: 500 },
  );
});

test("every one-byte-at-a-time split of several messages", () => {
  const messages = [Buffer.alloc(0), Buffer.from("hello"), Buffer.alloc(70_000, 9)];
  const wire = Buffer.concat(messages.map((m) => encodeEnvelope(m)));
  const reader = new EnvelopeReader(1 << 20);
  const got = [];
  for (let i = 0; i < wire.length; i++) got.push(...reader.push(wire.subarray(i, i + 1)));
  assert.deepEqual(got.map((e) => Buffer.from(e.data)), messages);
});

test("a truncated stream is reported as partial", () => {
  const reader = new EnvelopeReader(100);
  reader.push(encodeEnvelope(Buffer.from("abcdef")).subarray(0, 7));
  assert.equal(reader.partial, true);
});

test("a message over the limit fails with RESOURCE_EXHAUSTED before its body arrives", () => {
  const reader = new EnvelopeReader(10);
  const prefix = encodeEnvelope(Buffer.alloc(11)).subarray(0, 5);
  assert.throws(() => reader.push(prefix), (e: unknown) => e instanceof RpcError && e.code === Code.RESOURCE_EXHAUSTED);
});

test("a message exactly at the limit passes", () => {
  const reader = new EnvelopeReader(10);
  assert.equal(reader.push(encodeEnvelope(Buffer.alloc(10))).length, 1);
});

test("reserved flag bits fail with INTERNAL", () => {
  const reader = new EnvelopeReader(10);
  assert.throws(() => reader.push(Buffer.from([2, 0, 0, 0, 0])), (e: unknown) => e instanceof RpcError && e.code === Code.INTERNAL);
});

test("lengths above 2^31 are read unsigned", () => {
  const reader = new EnvelopeReader(0xffff_ffff - 1);
  assert.throws(() => reader.push(Buffer.from([0, 0xff, 0xff, 0xff, 0xff])), (e: unknown) => e instanceof RpcError && e.code === Code.RESOURCE_EXHAUSTED);
});

test("flags outside the allowed set fail with INTERNAL; allowed ones are returned as they are", () => {
  const trailerFrame = encodeEnvelope(Buffer.from("grpc-status:0\r\n"), 0x80);
  assert.throws(() => new EnvelopeReader(100).push(trailerFrame), (e: unknown) => e instanceof RpcError && e.code === Code.INTERNAL);
  const [env] = new EnvelopeReader(100, 0x81).push(trailerFrame);
  assert.equal(env!.flags, 0x80);
  assert.equal(Buffer.from(env!.data).toString(), "grpc-status:0\r\n");
  assert.throws(() => new EnvelopeReader(100, 0x81).push(encodeEnvelope(Buffer.alloc(1), 0x02)), /invalid message flags 0x2/);
});

test("read hands the sink each message as it is read; a bad prefix throws after the messages before it", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (messages, cuts) => {
        // The stream: the messages, then a prefix with a reserved flag bit.
        const wire = Buffer.concat([...messages.map((m) => encodeEnvelope(m)), Buffer.from([0x04, 0, 0, 0, 0])]);
        const reader = new EnvelopeReader(1 << 20);
        const got: Uint8Array[] = [];
        const sink = { envelope: (_flags: number, data: Uint8Array) => void got.push(new Uint8Array(data)) };
        let error: unknown;
        for (const chunk of pieces(wire, cuts)) {
          try {
            reader.read(chunk, sink);
          } catch (e) {
            error = e;
            break;
          }
        }
        assert.ok(error instanceof RpcError && error.code === Code.INTERNAL);
        assert.deepEqual(got, messages);
      },
    ),
    { numRuns: 300 },
  );
});
