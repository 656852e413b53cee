import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Base64StreamDecoder } from "./base64-stream.js";
import { RpcError } from "../../status/rpc-error.js";
import { Code } from "../../status/code.js";
import { pieces } from "../../../test/support/pieces.js";

function decodeInPieces(text: string, cuts: number[]): { bytes: Buffer; partial: boolean } {
  const d = new Base64StreamDecoder();
  const out: Buffer[] = [];
  for (const piece of pieces(text, cuts)) out.push(d.push(Buffer.from(piece, "latin1")));
  return { bytes: Buffer.concat(out), partial: d.partial };
}

test("a body split at every point decodes to the same bytes", () => {
  const bytes = Buffer.from([0, 0, 0, 0, 3, 1, 2, 3, 0x80, 0, 0, 0, 15, ...Buffer.from("grpc-status: 0\r\n")]);
  const text = bytes.toString("base64");
  for (let i = 0; i <= text.length; i++) {
    for (let j = i; j <= text.length; j++) {
      const r = decodeInPieces(text, [i, j]);
      assert.deepEqual(r.bytes, bytes, `cuts at ${i} and ${j}`);
      assert.equal(r.partial, false);
    }
  }
});

test("padded base64 texts one after the other decode as one body, split anywhere", () => {
  const parts = [Buffer.from([1]), Buffer.from([2, 3]), Buffer.from([4, 5, 6]), Buffer.from([7, 8, 9, 10])];
  const text = parts.map((p) => p.toString("base64")).join("");
  assert.ok(text.includes("=A"), "the texts are padded in the middle");
  for (let i = 0; i <= text.length; i++) assert.deepEqual(decodeInPieces(text, [i]).bytes, Buffer.concat(parts));
});

test("an unfinished quad is reported as partial", () => {
  assert.equal(decodeInPieces("AAE", []).partial, true);
});

test("anything that is not base64 fails with INTERNAL", () => {
  for (const bad of ["AA*A", "A===", "AB=C", "====", "A\nBC"]) {
    assert.throws(
      () => new Base64StreamDecoder().push(Buffer.from(bad)),
      (e) => e instanceof RpcError && e.code === Code.INTERNAL,
      bad,
    );
  }
});

test("property: any bytes, encoded as any sequence of padded texts and cut anywhere, come back", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      (chunks, rawCuts) => {
        const text = chunks.map((c) => Buffer.from(c).toString("base64")).join("");
        const r = decodeInPieces(text, rawCuts);
        assert.deepEqual(r.bytes, Buffer.concat(chunks.map((c) => Buffer.from(c))));
        assert.equal(r.partial, false);
      },
    ),
    { numRuns: 300 },
  );
});
