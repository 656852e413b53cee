import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { sniffPlainProtocol } from "./plain-protocol.js";

const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

describe("sniffPlainProtocol", () => {
  test("the whole preface is h2, a strict prefix of it is undecided, anything else is HTTP/1.1", () => {
    assert.equal(sniffPlainProtocol(preface), "h2");
    assert.equal(sniffPlainProtocol(Buffer.concat([preface, Buffer.from([0, 0, 0, 4])])), "h2");
    for (let n = 0; n < preface.length; n++) assert.equal(sniffPlainProtocol(preface.subarray(0, n)), undefined, `${n} bytes`);
    assert.equal(sniffPlainProtocol(Buffer.from("GET / HTTP/1.1\r\n")), "http/1.1");
    assert.equal(sniffPlainProtocol(Buffer.from("P")), undefined);
    assert.equal(sniffPlainProtocol(Buffer.from("PO")), "http/1.1");
    assert.equal(sniffPlainProtocol(Buffer.from("PRI * HTTP/1.1\r\n")), "http/1.1");
    assert.equal(sniffPlainProtocol(Buffer.from([0x16, 0x03, 0x01])), "http/1.1");
  });

  test("any bytes: h2 iff they start with the preface, undecided iff they are a strict prefix of it", () => {
    // A piece of the preface, then anything: hits every branch far more often than random bytes would.
    const bytes = fc
      .tuple(fc.integer({ min: 0, max: preface.length }), fc.uint8Array({ maxLength: 16 }))
      .map(([k, tail]) => Buffer.concat([preface.subarray(0, k), tail]));
    fc.assert(
      fc.property(bytes, (b) => {
        const startsWithPreface = b.length >= preface.length && b.subarray(0, preface.length).equals(preface);
        const strictPrefix = b.length < preface.length && preface.subarray(0, b.length).equals(b);
        const expected = startsWithPreface ? "h2" : strictPrefix ? undefined : "http/1.1";
        assert.equal(sniffPlainProtocol(b), expected);
      }),
      { numRuns: 2000 },
    );
  });
});
