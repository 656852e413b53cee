import { test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import fc from "fast-check";
import { createRegistry } from "@bufbuild/protobuf";
import type { RpcError } from "../status/rpc-error.js";
import type { Codec } from "../codec/codec.js";
import type { HttpExchange } from "../internal/transport/http-exchange.js";
import { RestServerWire } from "./rest-server-wire.js";
import { pieces } from "../../test/support/pieces.js";

function exchange(body: PassThrough): HttpExchange {
  const out = new PassThrough();
  return {
    method: "POST",
    path: "/x",
    query: "",
    httpVersion: "h2",
    headers: {},
    body,
    out,
    peer: "127.0.0.1:1",
    tls: undefined,
    closed: false,
    respond() {},
    write: () => true,
    end() {},
    onClose() {},
  };
}

const codec = { name: "json", encode: () => new Uint8Array(), decode: () => ({}) } as unknown as Codec;

/** Feeds `chunks` as a request stream; resolves with the lines delivered, or the failure. */
function feed(chunks: Buffer[], max: number): Promise<{ lines: string[]; error?: RpcError }> {
  const body = new PassThrough();
  const wire = new RestServerWire(exchange(body), codec, undefined, false, { maxReceiveBytes: max, registry: createRegistry() });
  const lines: string[] = [];
  return new Promise((resolve) => {
    wire.start(
      {
        message: (p) => lines.push(Buffer.from(p).toString()),
        requestEnd: () => resolve({ lines }),
        requestFailed: (error) => resolve({ lines, error }),
        closed: (error) => resolve({ lines, error }),
      },
      true,
    );
    for (const c of chunks) body.write(c);
    body.end();
  });
}

test("property: a newline-delimited request stream yields the same messages however it is split", async () => {
  const line = fc.string({ maxLength: 12 }).map((s) => JSON.stringify({ t: s }));
  await fc.assert(
    fc.asyncProperty(fc.array(line, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), fc.constantFrom("\n", "\r\n"), fc.boolean(), async (lines, cuts, eol, trailing) => {
      const text = Buffer.from(lines.join(eol) + (trailing ? eol : ""));
      const chunks = pieces(text, cuts);
      const got = await feed(chunks, 1000);
      assert.equal(got.error, undefined);
      assert.deepEqual(got.lines, lines);
    }),
    { numRuns: 300 },
  );
});

test("a line over the limit fails the stream with RESOURCE_EXHAUSTED, split or not", async () => {
  for (const chunks of [[Buffer.from('{"a":1}\n' + "x".repeat(50) + "\n")], [Buffer.from("x".repeat(30)), Buffer.from("x".repeat(30))]]) {
    const got = await feed(chunks, 40);
    assert.equal(got.error?.code, 8);
  }
});
