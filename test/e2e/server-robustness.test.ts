// A server stays up whatever a client sends, and answers bad input with the right status.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { toBinary, create } from "@bufbuild/protobuf";
import { Code, createChannel, createClient, createServer, type Server } from "../../src/index.js";
import { EchoRequestSchema } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { EchoService, echoService } from "./echo-service.js";
import { frame, grpcHeaders, grpcStatusOf, gzipFrame, rawRequest } from "./raw-http2.js";

const unary = "/tsgrpc.test.v1.EchoService/Unary";
const clientStream = "/tsgrpc.test.v1.EchoService/ClientStream";
const echo = (init: object = {}) => toBinary(EchoRequestSchema, create(EchoRequestSchema, init));

describe("server robustness", { timeout: 60_000 }, () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer({ maxReceiveBytes: 64 * 1024, onHandlerError: () => {} }).service(EchoService, echoService());
    ({ port } = await server.listen("127.0.0.1:0"));
  });
  after(async () => {
    // The server must still answer a well-formed call after everything above.
    const channel = createChannel(`http://127.0.0.1:${port}`);
    const res = await createClient(EchoService, channel).unary({ payload: new Uint8Array([1, 2, 3]) });
    assert.deepEqual([...res.payload], [1, 2, 3]);
    channel.close();
    await server.close({ graceMs: 500 });
  });

  test("a well-formed raw call works (the harness is right)", async () => {
    const r = await rawRequest(port, grpcHeaders(unary), [frame(echo({ payload: new Uint8Array([5]) }))]);
    assert.equal(r.status, 200);
    assert.equal(grpcStatusOf(r), "0");
  });

  test("a non-gRPC content-type gets HTTP 415", async () => {
    const r = await rawRequest(port, grpcHeaders(unary, { "content-type": "text/plain" }), [Buffer.from("{}")]);
    assert.equal(r.status, 415);
    const r2 = await rawRequest(port, grpcHeaders(unary, { "content-type": "application/grpcx" }), []);
    assert.equal(r2.status, 415);
  });

  test("a GET gets HTTP 405", async () => {
    const r = await rawRequest(port, { ":method": "GET", ":path": unary });
    assert.equal(r.status, 405);
  });

  test("content-type variants application/grpc+proto and ;params are accepted", async () => {
    for (const ct of ["application/grpc+proto", "application/grpc;charset=utf-8"]) {
      const r = await rawRequest(port, grpcHeaders(unary, { "content-type": ct }), [frame(echo())]);
      assert.equal(grpcStatusOf(r), "0", ct);
    }
  });

  test("a malformed grpc-timeout: INTERNAL", async () => {
    const r = await rawRequest(port, grpcHeaders(unary, { "grpc-timeout": "soon" }), [frame(echo())]);
    assert.equal(grpcStatusOf(r), String(Code.INTERNAL));
  });

  test("the compressed flag without grpc-encoding: INTERNAL", async () => {
    const r = await rawRequest(port, grpcHeaders(unary), [gzipFrame(echo())]);
    assert.equal(grpcStatusOf(r), String(Code.INTERNAL));
  });

  test("an unsupported grpc-encoding: UNIMPLEMENTED with the accepted list", async () => {
    const r = await rawRequest(port, grpcHeaders(unary, { "grpc-encoding": "snappy" }), [frame(echo(), 1)]);
    assert.equal(grpcStatusOf(r), String(Code.UNIMPLEMENTED));
    assert.match(String(r.headers["grpc-accept-encoding"]), /gzip/);
  });

  test("gzip request messages are decompressed", async () => {
    const r = await rawRequest(port, grpcHeaders(unary, { "grpc-encoding": "gzip" }), [gzipFrame(echo({ payload: new Uint8Array([9]) }))]);
    assert.equal(grpcStatusOf(r), "0");
  });

  test("corrupt gzip: INTERNAL", async () => {
    const r = await rawRequest(port, grpcHeaders(unary, { "grpc-encoding": "gzip" }), [frame(Buffer.from("not gzip at all"), 1)]);
    assert.equal(grpcStatusOf(r), String(Code.INTERNAL));
  });

  test("a compression bomb is stopped at the receive limit: RESOURCE_EXHAUSTED", async () => {
    // 50 MiB of zeros compress to ~50 KiB; the limit is 64 KiB decompressed.
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024));
    assert.ok(bomb.length < 64 * 1024);
    const before = process.memoryUsage().rss;
    const r = await rawRequest(port, grpcHeaders(unary, { "grpc-encoding": "gzip" }), [frame(bomb, 1)]);
    assert.equal(grpcStatusOf(r), String(Code.RESOURCE_EXHAUSTED));
    assert.ok(process.memoryUsage().rss - before < 40 * 1024 * 1024, "the bomb was inflated in memory");
  });

  test("a message over the limit: RESOURCE_EXHAUSTED", async () => {
    const r = await rawRequest(port, grpcHeaders(unary), [frame(Buffer.alloc(64 * 1024 + 1))]);
    assert.equal(grpcStatusOf(r), String(Code.RESOURCE_EXHAUSTED));
  });

  test("a prefix announcing 4 GiB: RESOURCE_EXHAUSTED without waiting for the body", async () => {
    const r = await rawRequest(port, grpcHeaders(unary), [Buffer.from([0, 0xff, 0xff, 0xff, 0xff])]);
    assert.equal(grpcStatusOf(r), String(Code.RESOURCE_EXHAUSTED));
  });

  test("reserved flag bits: INTERNAL", async () => {
    const r = await rawRequest(port, grpcHeaders(unary), [frame(echo(), 0x80)]);
    assert.equal(grpcStatusOf(r), String(Code.INTERNAL));
  });

  test("a stream that ends mid-message: INTERNAL, not a hang", async () => {
    const whole = frame(echo({ payload: new Uint8Array(100) }));
    const r = await rawRequest(port, grpcHeaders(unary), [whole.subarray(0, 50)]);
    assert.equal(grpcStatusOf(r), String(Code.INTERNAL));
  });

  test("bytes that are not the request message: INTERNAL", async () => {
    const r = await rawRequest(port, grpcHeaders(unary), [frame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))]);
    assert.equal(grpcStatusOf(r), String(Code.INTERNAL));
  });

  test("unary with no request message or two: UNIMPLEMENTED (cardinality)", async () => {
    const none = await rawRequest(port, grpcHeaders(unary), []);
    assert.equal(grpcStatusOf(none), String(Code.UNIMPLEMENTED));
    const two = await rawRequest(port, grpcHeaders(unary), [frame(echo()), frame(echo())]);
    assert.equal(grpcStatusOf(two), String(Code.UNIMPLEMENTED));
  });

  test("a client stream split into 1-byte DATA frames", async () => {
    const body = Buffer.concat([frame(echo({ payload: new Uint8Array(10) })), frame(echo({ payload: new Uint8Array(20) }))]);
    const chunks = [...body].map((b) => Buffer.from([b]));
    const r = await rawRequest(port, grpcHeaders(clientStream), chunks);
    assert.equal(grpcStatusOf(r), "0");
  });

  test("a malformed path: UNIMPLEMENTED", async () => {
    for (const path of ["/", "/nothing", "//", "/a/b/c"]) {
      const r = await rawRequest(port, grpcHeaders(path), [frame(echo())]);
      assert.equal(grpcStatusOf(r), String(Code.UNIMPLEMENTED), path);
    }
  });

  test("invalid metadata from a client is dropped, not fatal", async () => {
    const r = await rawRequest(port, grpcHeaders(unary, { "x-data-bin": "***not base64***" }), [frame(echo())]);
    assert.equal(grpcStatusOf(r), "0");
  });

  test("a client that resets mid-call leaves the server serving", async () => {
    await new Promise<void>((resolve) => {
      import("node:http2").then((http2) => {
        const session = http2.connect(`http://127.0.0.1:${port}`);
        const s = session.request(grpcHeaders(clientStream));
        s.on("error", () => {});
        s.write(frame(echo()));
        setTimeout(() => {
          s.close(http2.constants.NGHTTP2_CANCEL);
          session.close();
          resolve();
        }, 20);
      });
    });
  });
});
