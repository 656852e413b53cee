import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { ServerHttp2Stream } from "node:http2";
import { test } from "node:test";
import { protoCodec } from "../../codec/proto-codec.js";
import type { RpcError } from "../../status/rpc-error.js";
import { GrpcServerWire } from "./grpc-server-wire.js";
import type { ServerWireSink } from "./server-wire.js";

/** Everything the stream's own properties (its symbol slots) still reach, one level deep. */
function heldBy(stream: object): unknown[] {
  return Object.getOwnPropertySymbols(stream).flatMap((k) => [(stream as Record<symbol, unknown>)[k]].flat());
}

test("a closed stream lets go of its gRPC wire and tells the call once", () => {
  const stream = Object.assign(new EventEmitter(), { rstCode: 8 }) as unknown as ServerHttp2Stream;
  const closed: RpcError[] = [];
  const sink: ServerWireSink = {
    message: () => assert.fail("no message was sent"),
    requestEnd: () => {},
    requestFailed: (e) => assert.fail(e.message),
    closed: (e) => closed.push(e),
  };
  const wire = new GrpcServerWire(stream, {}, "application/grpc", protoCodec, undefined, { maxReceiveBytes: 1024, acceptEncodingHeader: "identity" });
  wire.start(sink, false);
  assert.ok(heldBy(stream).includes(wire));
  stream.emit("close");
  assert.ok(!heldBy(stream).includes(wire), "the closed stream still holds the wire");
  assert.equal(closed.length, 1);
  assert.match(closed[0]!.message, /cancelled/);
  // What Node might still emit after 'close' finds no wire, and throws nothing.
  stream.emit("data", Buffer.from([0, 0, 0, 0, 0]));
  stream.emit("end");
  stream.emit("wantTrailers");
  assert.equal(closed.length, 1);
});
