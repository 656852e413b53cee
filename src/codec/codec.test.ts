import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { create, createRegistry, equals } from "@bufbuild/protobuf";
import { anyPack, AnySchema, StructSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { EchoRequestSchema } from "../../test/gen/tsgrpc/test/v1/echo_pb.js";
import { protoCodec } from "./proto-codec.js";
import { createJsonCodec } from "./json-codec.js";

const echoRequest = fc.record({
  payload: fc.uint8Array({ maxLength: 64 }),
  responseCount: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  failMessage: fc.string(),
  tag: fc.string({ unit: "grapheme" }),
});

test("proto and JSON codecs round-trip any message", () => {
  const json = createJsonCodec();
  fc.assert(
    fc.property(echoRequest, (init) => {
      const msg = create(EchoRequestSchema, init);
      for (const codec of [protoCodec, json]) {
        const back = codec.decode(EchoRequestSchema, codec.encode(EchoRequestSchema, msg));
        assert.ok(equals(EchoRequestSchema, back as typeof msg, msg), `${codec.name} round trip`);
      }
    }),
  );
});

test("JSON codec: canonical JSON out, options honoured, bad input refused", () => {
  const msg = create(EchoRequestSchema, { payload: new Uint8Array([1, 2]), responseCount: 3, tag: "x" });
  const text = (c: ReturnType<typeof createJsonCodec>) => new TextDecoder().decode(c.encode(EchoRequestSchema, msg));
  assert.deepEqual(JSON.parse(text(createJsonCodec())), { payload: "AQI=", responseCount: 3, tag: "x" });
  assert.equal(JSON.parse(text(createJsonCodec({ useProtoFieldName: true }))).response_count, 3);
  assert.equal(JSON.parse(text(createJsonCodec({ alwaysEmitImplicit: true }))).sleepMs, 0);
  const json = createJsonCodec();
  const bytes = (s: string) => new TextEncoder().encode(s);
  assert.throws(() => json.decode(EchoRequestSchema, bytes('{"nope": 1}')));
  assert.equal((createJsonCodec({ ignoreUnknownFields: true }).decode(EchoRequestSchema, bytes('{"nope": 1, "tag": "y"}')) as unknown as { tag: string }).tag, "y");
  assert.throws(() => json.decode(EchoRequestSchema, bytes("{not json")));
  assert.throws(() => json.decode(EchoRequestSchema, new Uint8Array([0x7b, 0xff, 0x7d])), "invalid UTF-8 is refused");
});

test("JSON codec: google.protobuf.Any needs its type in the registry", () => {
  const any = anyPack(TimestampSchema, create(TimestampSchema, { seconds: 1n }));
  assert.throws(() => createJsonCodec().encode(AnySchema, any));
  const codec = createJsonCodec({ registry: createRegistry(TimestampSchema) });
  const back = codec.decode(AnySchema, codec.encode(AnySchema, any));
  assert.ok(equals(AnySchema, back as typeof any, any));
  assert.ok(createJsonCodec().encode(StructSchema, create(StructSchema)).byteLength > 0);
});
