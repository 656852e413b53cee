import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Code } from "../../status/code.js";
import type { RpcError } from "../../status/rpc-error.js";
import type { ClientWireSink } from "../transport/client-wire.js";
import { encodeFrame } from "./frame-reader.js";
import { flagEndStream, flagTrailer } from "./frame-flags.js";
import { WebResponseDecoder, type WebProtocol } from "./response-decoder.js";
import { pieces } from "../../../test/support/pieces.js";

/** What a decoder told its call, in order. */
function recordingSink(): { sink: ClientWireSink; events: string[]; messages: number[][]; failure: () => RpcError | undefined } {
  const events: string[] = [];
  const messages: number[][] = [];
  let failure: RpcError | undefined;
  return {
    events,
    messages,
    failure: () => failure,
    sink: {
      headerReceived: () => void events.push("header"),
      message: (payload, compressed) => {
        events.push(compressed ? "message(compressed)" : "message");
        messages.push([...payload]);
      },
      status: (code) => void events.push(`status ${Code[code]}`),
      failed: (e) => {
        failure = e;
        events.push(`failed ${Code[e.code]}`);
      },
    },
  };
}

const heads: Record<"grpc-web" | "connect-stream", Record<string, string>> = {
  "grpc-web": { "content-type": "application/grpc-web+proto" },
  "connect-stream": { "content-type": "application/connect+proto" },
};

/** The frame that ends a response of `protocol` with OK and the trailer `x-t: v`. */
function endFrame(protocol: "grpc-web" | "connect-stream"): Uint8Array {
  return protocol === "grpc-web"
    ? encodeFrame(Buffer.from("grpc-status: 0\r\nx-t: v\r\n"), flagTrailer)
    : encodeFrame(Buffer.from(JSON.stringify({ metadata: { "x-t": ["v"] } })), flagEndStream);
}

function feed(protocol: WebProtocol, body: Uint8Array, cuts: number[]) {
  const rec = recordingSink();
  const decoder = new WebResponseDecoder(protocol, rec.sink, 1 << 20, false);
  decoder.head(200, heads[protocol as "grpc-web"]);
  for (const piece of pieces(body, cuts)) decoder.body(piece);
  decoder.end();
  return { ...rec, decoder };
}

for (const protocol of ["grpc-web", "connect-stream"] as const) {
  test(`property (${protocol}): messages, then one OK status with the trailers, however the body is cut; bytes after the end are ignored`, () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ compressed: fc.boolean(), data: fc.uint8Array({ maxLength: 40 }) }), { maxLength: 5 }),
        fc.uint8Array({ maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (frames, after, rawCuts) => {
          const body = Buffer.concat([...frames.map((f) => encodeFrame(f.data, f.compressed ? 1 : 0)), endFrame(protocol), after]);
          const { events, messages, decoder } = feed(protocol, body, rawCuts);
          assert.deepEqual(events, ["header", ...frames.map((f) => (f.compressed ? "message(compressed)" : "message")), "status OK"]);
          assert.deepEqual(messages, frames.map((f) => [...f.data]));
          assert.deepEqual(decoder.trailer().get("x-t"), "v");
        },
      ),
      { numRuns: 200 },
    );
  });

  test(`${protocol}: a frame with a flag the protocol does not have fails the call with INTERNAL, after the messages before it in the same chunk`, () => {
    const body = Buffer.concat([encodeFrame(Buffer.from([1, 2]), 0), encodeFrame(Buffer.from([3]), 0x40), endFrame(protocol)]);
    const { events, messages, failure } = feed(protocol, body, []);
    assert.deepEqual(events, ["header", "message", "failed INTERNAL"]);
    assert.deepEqual(messages, [[1, 2]]);
    assert.match(failure()!.message, /flag/);
  });

  test(`${protocol}: a body that ends inside a message fails with INTERNAL, one that ends without its end frame with UNAVAILABLE`, () => {
    const message = encodeFrame(Buffer.from([1, 2, 3]), 0);
    assert.deepEqual(feed(protocol, message.subarray(0, 6), []).events, ["header", "failed INTERNAL"]);
    assert.deepEqual(feed(protocol, message, []).events, ["header", "message", "failed UNAVAILABLE"]);
  });
}

test("connect-stream: an end-of-stream message that is not JSON fails with INTERNAL; messages before it were delivered", () => {
  const body = Buffer.concat([encodeFrame(Buffer.from([9]), 0), encodeFrame(Buffer.from("{oops"), flagEndStream)]);
  assert.deepEqual(feed("connect-stream", body, []).events, ["header", "message", "failed INTERNAL"]);
});

test("grpc-web: trailers with an error status end the call with that status, not a failure", () => {
  const body = encodeFrame(Buffer.from("grpc-status: 5\r\ngrpc-message: gone\r\n"), flagTrailer);
  assert.deepEqual(feed("grpc-web", body, []).events, ["header", "status NOT_FOUND"]);
});
