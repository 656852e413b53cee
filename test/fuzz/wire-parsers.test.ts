// Property tests of everything that parses what a peer sends: whatever the
// input, no exception but the documented one escapes, nothing hangs, and
// nothing allocates more than the input (or the limit) allows. Runs are few
// enough for `npm test` to stay fast; FUZZ_RUNS=100000 runs them longer.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Code } from "../../src/status/code.js";
import { RpcError } from "../../src/status/rpc-error.js";
import { EnvelopeReader, encodeEnvelope, prefixBytes } from "../../src/internal/envelope.js";
import { encodeTimeout, parseTimeout } from "../../src/internal/grpc-timeout.js";
import { decodeGrpcMessage, encodeGrpcMessage } from "../../src/internal/percent-encoding.js";
import { statusFromTrailers } from "../../src/internal/status-trailers.js";
import { decodeBinaryValues, encodeBinaryValue } from "../../src/metadata/binary-header.js";
import { Metadata, metadataFromHeaders } from "../../src/metadata/metadata.js";
import { AsyncQueue } from "../../src/internal/async-queue.js";
import { pieces } from "../support/pieces.js";

const runs = Number(process.env.FUZZ_RUNS ?? 300);
const settings = { numRuns: runs };

/** Any string, ASCII-heavy or not, as headers arrive (Node hands bytes over as Latin-1). */
const headerText = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: "binary", maxLength: 40 }), fc.stringMatching(/^[\x00-\xff]{0,40}$/));

test("envelope reader: any bytes, any split, only RpcErrors, never more out than in", () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 12 }), fc.nat({ max: 200 }), (chunks, maxBytes) => {
      const reader = new EnvelopeReader(maxBytes);
      let inBytes = 0;
      let outBytes = 0;
      for (const chunk of chunks) {
        inBytes += chunk.byteLength;
        let envelopes;
        try {
          envelopes = reader.push(Buffer.from(chunk));
        } catch (e) {
          assert.ok(e instanceof RpcError, `threw ${String(e)}`);
          assert.ok(e.code === Code.INTERNAL || e.code === Code.RESOURCE_EXHAUSTED, Code[e.code]);
          return;
        }
        for (const env of envelopes) {
          assert.ok(env.data.byteLength <= maxBytes);
          outBytes += env.data.byteLength + prefixBytes;
        }
      }
      assert.ok(outBytes <= inBytes);
    }),
    settings,
  );
});

test("envelope reader: a length over the limit fails on its prefix, before any body is buffered", () => {
  fc.assert(
    fc.property(fc.nat({ max: 1 << 20 }), fc.integer({ min: 1, max: 0xffff_ffff }), fc.boolean(), (maxBytes, over, compressed) => {
      const length = Math.min(maxBytes + over, 0xffff_ffff);
      fc.pre(length > maxBytes);
      const prefix = Buffer.alloc(prefixBytes);
      prefix[0] = compressed ? 1 : 0;
      prefix.writeUInt32BE(length, 1);
      assert.throws(() => new EnvelopeReader(maxBytes).push(prefix), (e: unknown) => e instanceof RpcError && e.code === Code.RESOURCE_EXHAUSTED);
    }),
    settings,
  );
});

test("envelope reader: frames any payloads back, split anywhere", () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 10 }), (payloads, cuts) => {
      const wire = Buffer.concat(payloads.map((p) => encodeEnvelope(p)));
      const reader = new EnvelopeReader(100);
      const got: Uint8Array[] = [];
      for (const piece of pieces(wire, cuts)) {
        for (const env of reader.push(piece)) got.push(new Uint8Array(env.data));
      }
      assert.deepEqual(got, payloads);
    }),
    settings,
  );
});

test("grpc-timeout: any text parses to a finite non-negative number or undefined", () => {
  fc.assert(
    fc.property(fc.oneof(headerText, fc.stringMatching(/^\d{0,10}[HMSmunx]?$/)), (text) => {
      const ms = parseTimeout(text);
      if (ms !== undefined) assert.ok(Number.isFinite(ms) && ms >= 0, String(ms));
    }),
    settings,
  );
});

test("grpc-timeout: an encoded timeout parses back to at least the timeout", () => {
  fc.assert(
    fc.property(fc.double({ min: 1e-6, max: 99_999_999 * 3_600_000, noNaN: true }), (ms) => {
      const text = encodeTimeout(ms);
      assert.match(text, /^\d{1,8}[HMSmun]$/);
      const back = parseTimeout(text)!;
      assert.ok(back >= ms * (1 - 1e-12), `${ms} -> ${text} -> ${back}`);
    }),
    settings,
  );
});

test("percent-decoding: any text decodes without throwing; encoding round-trips any string", () => {
  fc.assert(
    fc.property(fc.oneof(headerText, fc.stringMatching(/^(%[0-9a-fA-FgG]{0,2}|[a-z])*$/)), (text) => {
      assert.equal(typeof decodeGrpcMessage(text), "string");
    }),
    settings,
  );
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (message) => {
      const wire = encodeGrpcMessage(message);
      assert.match(wire, /^[\x20-\x7e]*$/);
      assert.equal(decodeGrpcMessage(wire), message);
    }),
    settings,
  );
});

test("-bin values: any text decodes to bytes or undefined; any bytes round-trip", () => {
  fc.assert(
    fc.property(fc.oneof(headerText, fc.base64String({ maxLength: 40 })), (text) => {
      const out = decodeBinaryValues(text);
      if (out) for (const v of out) assert.ok(v instanceof Uint8Array && v.byteLength <= text.length);
    }),
    settings,
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
      assert.deepEqual(decodeBinaryValues(encodeBinaryValue(bytes)), [bytes]);
    }),
    settings,
  );
});

test("received metadata: any header object becomes metadata that can be set and sent again", () => {
  const key = fc.oneof(fc.stringMatching(/^[a-z0-9_.-]{1,12}(-bin)?$/), headerText);
  const value = fc.oneof(headerText, fc.array(headerText, { maxLength: 3 }));
  fc.assert(
    fc.property(fc.dictionary(key, value, { maxKeys: 8 }), (headers) => {
      const md = metadataFromHeaders(headers);
      const copy = new Metadata();
      for (const [k, v] of md) copy.append(k, v as never);
      const out: Record<string, string | string[]> = {};
      copy.writeTo(out);
    }),
    // "+=" passed the base64 pattern but holds no byte: it became an undefined value.
    { ...settings, examples: [[{ "x-bin": "+=" }], [{ "x-bin": "AA==,+=" }]] },
  );
});

test("status trailers: any grpc-status, grpc-message and details give a status, never an exception", () => {
  fc.assert(
    fc.property(
      fc.option(fc.oneof(headerText, fc.integer({ min: -5, max: 40 }).map(String)), { nil: undefined }),
      fc.option(headerText, { nil: undefined }),
      fc.option(fc.oneof(headerText, fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString("base64"))), { nil: undefined }),
      (status, message, details) => {
        const trailers: Record<string, string> = {};
        if (status !== undefined) trailers["grpc-status"] = status;
        if (message !== undefined) trailers["grpc-message"] = message;
        if (details !== undefined) trailers["grpc-status-details-bin"] = details;
        const s = statusFromTrailers(trailers);
        assert.ok(Number.isInteger(s.code) && s.code >= 0 && s.code <= 16);
        assert.equal(typeof s.message, "string");
        assert.ok(Array.isArray(s.details));
      },
    ),
    settings,
  );
});

test("receive queue: bytes held stay under the high-water mark plus one item, whatever the order of pushes and reads", async () => {
  const op = fc.oneof(fc.record({ push: fc.nat({ max: 5000 }) }), fc.constant({ read: true as const }));
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: 8000 }), fc.array(op, { maxLength: 60 }), async (highWater, ops) => {
      let producing = true;
      const queue = new AsyncQueue<number>(
        highWater,
        () => {
          assert.ok(producing, "onFull twice without onDrain");
          producing = false;
        },
        () => {
          assert.ok(!producing, "onDrain without onFull");
          producing = true;
        },
        () => undefined,
      );
      let largest = 0;
      for (const o of ops) {
        if ("push" in o) {
          // A producer that honours onFull pushes nothing more until onDrain.
          if (!producing) continue;
          largest = Math.max(largest, o.push);
          queue.push(o.push, o.push);
        } else if (queue.queuedBytes > 0) {
          await queue.next();
        }
        assert.ok(queue.queuedBytes < highWater + largest + 1, `${queue.queuedBytes} bytes queued`);
        assert.equal(queue.full, !producing);
      }
    }),
    settings,
  );
});
