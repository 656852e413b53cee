import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeFrame } from "./frame-reader.js";
import { EnvelopeReader } from "../envelope-reader.js";
import { parseTrailerBlock } from "./response-decoder.js";
import { RpcError } from "../../status/rpc-error.js";
import { Code } from "../../status/code.js";
import { pieces } from "../../../test/support/pieces.js";

test("property: the envelope reader the browser transports use: frames come back whole and in order, however the body is cut", () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ flags: fc.constantFrom(0, 1, 2, 0x80), data: fc.uint8Array({ maxLength: 50 }) }), { maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (frames, rawCuts) => {
        const body = new Uint8Array(Buffer.concat(frames.map((f) => encodeFrame(f.data, f.flags))));
        const reader = new EnvelopeReader(1000, 0x83);
        const out = [];
        for (const piece of pieces(body, rawCuts)) out.push(...reader.push(piece));
        assert.equal(reader.partial, false);
        assert.deepEqual(
          out.map((f) => ({ flags: f.flags, data: [...f.data] })),
          frames.map((f) => ({ flags: f.flags, data: [...f.data] })),
        );
      },
    ),
    { numRuns: 300 },
  );
});

test("a frame over the limit fails with RESOURCE_EXHAUSTED before its payload arrives", () => {
  const reader = new EnvelopeReader(10);
  assert.throws(
    () => reader.push(encodeFrame(new Uint8Array(11), 0).subarray(0, 5)),
    (e) => e instanceof RpcError && e.code === Code.RESOURCE_EXHAUSTED,
  );
});

test("gRPC-Web trailer blocks: names lowercased, repeated names kept, junk lines skipped", () => {
  const block = new TextEncoder().encode("Grpc-Status: 3\r\ngrpc-message: bad%20input\r\nx-a: 1\r\nx-a: 2\r\nnot a header\r\n");
  assert.deepEqual(parseTrailerBlock(block), { "grpc-status": "3", "grpc-message": "bad%20input", "x-a": ["1", "2"] });
});
