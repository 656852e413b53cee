// Message compression: per channel, per call and per server, negotiated both
// ways, and with grpc-js on the other side.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Code, RpcError, createChannel, createClient, createServer, type HandlerContext } from "../../src/index.js";
import { createGrpcJsEchoClient, startGrpcJsEchoServer } from "../peers/grpc-js-echo.js";
import { EchoService } from "./echo-service.js";
import { grpcHeaders, rawRequest, frame } from "./raw-http2.js";
import { create, toBinary } from "@bufbuild/protobuf";
import { EchoRequestSchema } from "../gen/tsgrpc/test/v1/echo_pb.js";

const compressible = new Uint8Array(10_000).fill(42);

/** A server that reports, in a trailer, whether each request arrived compressed. */
async function startReportingServer(options: Parameters<typeof createServer>[0] = {}, respond?: (ctx: HandlerContext) => void) {
  const server = createServer(options).service(EchoService, {
    async unary(req, ctx) {
      ctx.responseTrailer.set("x-request-compressed", String(ctx.requestCompressed));
      respond?.(ctx);
      return { payload: req.payload };
    },
    async clientStream(reqs, ctx) {
      const flags: boolean[] = [];
      for await (const _ of reqs) flags.push(ctx.requestCompressed);
      ctx.responseTrailer.set("x-request-compressed", flags.join(","));
      return { receivedCount: flags.length };
    },
  });
  const { port } = await server.listen("127.0.0.1:0");
  return { server, port };
}

test("channel-level compression, overridden per call", async () => {
  const { server, port } = await startReportingServer();
  const channel = createChannel(`http://127.0.0.1:${port}`, { compression: "gzip" });
  const client = createClient(EchoService, channel);
  let trailer = "";
  const res = await client.unary({ payload: compressible }, { onTrailer: (t) => (trailer = String(t.get("x-request-compressed"))) });
  assert.equal(res.payload.byteLength, compressible.byteLength);
  assert.equal(trailer, "true");
  await client.unary({ payload: compressible }, { compression: "identity", onTrailer: (t) => (trailer = String(t.get("x-request-compressed"))) });
  assert.equal(trailer, "false");
  await client.unary({ payload: compressible }, { compression: "deflate", onTrailer: (t) => (trailer = String(t.get("x-request-compressed"))) });
  assert.equal(trailer, "true");
  channel.close();
  await server.close();
});

test("per-message choice on a compressed stream", async () => {
  const { server, port } = await startReportingServer();
  const channel = createChannel(`http://127.0.0.1:${port}`);
  let trailer = "";
  async function* reqs() {
    for (let i = 0; i < 4; i++) yield { payload: compressible };
  }
  await createClient(EchoService, channel).clientStream(reqs(), {
    compression: "gzip",
    compressMessage: (_m, i) => i % 2 === 0,
    onTrailer: (t) => (trailer = String(t.get("x-request-compressed"))),
  });
  assert.equal(trailer, "true,false,true,false");
  channel.close();
  await server.close();
});

test("a server only compresses responses in an encoding the client accepts", async () => {
  const { server, port } = await startReportingServer({}, (ctx) => ctx.setResponseCompression("gzip"));
  const body = [frame(toBinary(EchoRequestSchema, create(EchoRequestSchema, { payload: compressible })))];
  const accepting = await rawRequest(port, grpcHeaders("/tsgrpc.test.v1.EchoService/Unary", { "grpc-accept-encoding": "gzip" }), body);
  assert.equal(accepting.headers["grpc-encoding"], "gzip");
  assert.equal(accepting.body[0], 1, "the message should carry the compressed flag");
  assert.ok(accepting.body.length < 1000);
  const refusing = await rawRequest(port, grpcHeaders("/tsgrpc.test.v1.EchoService/Unary", { "grpc-accept-encoding": "identity" }), body);
  assert.equal(refusing.headers["grpc-encoding"], undefined);
  assert.equal(refusing.body[0], 0);
  // Our own client accepts gzip and decodes it.
  const channel = createChannel(`http://127.0.0.1:${port}`);
  assert.equal((await createClient(EchoService, channel).unary({ payload: compressible })).payload.byteLength, 10_000);
  channel.close();
  await server.close();
});

test("a server that accepts no compression answers UNIMPLEMENTED", async () => {
  const { server, port } = await startReportingServer({ acceptCompression: [] });
  const channel = createChannel(`http://127.0.0.1:${port}`, { compression: "gzip" });
  await assert.rejects(
    createClient(EchoService, channel).unary({ payload: compressible }),
    (e: unknown) => e instanceof RpcError && e.code === Code.UNIMPLEMENTED && /gzip/.test(e.rawMessage),
  );
  channel.close();
  await server.close();
});

test("the receive limit applies after decompression", async () => {
  const { server, port } = await startReportingServer({ maxReceiveBytes: 5000 });
  const channel = createChannel(`http://127.0.0.1:${port}`, { compression: "gzip" });
  await assert.rejects(
    createClient(EchoService, channel).unary({ payload: compressible }),
    (e: unknown) => e instanceof RpcError && e.code === Code.RESOURCE_EXHAUSTED,
  );
  channel.close();
  await server.close();
});

test("grpc-js client with gzip → tsgrpc server", async () => {
  const { server, port } = await startReportingServer();
  const { client, close } = createGrpcJsEchoClient(port, { "grpc.default_compression_algorithm": 2 });
  let trailer = "";
  const res = await client.unary({ payload: compressible }, { onTrailer: (t) => (trailer = String(t.get("x-request-compressed"))) });
  assert.equal(res.payload.byteLength, 10_000);
  assert.equal(trailer, "true");
  close();
  await server.close();
});

test("tsgrpc client with gzip and deflate → grpc-js server", async () => {
  const peer = await startGrpcJsEchoServer();
  const channel = createChannel(`http://127.0.0.1:${peer.port}`);
  const client = createClient(EchoService, channel);
  for (const compression of ["gzip", "deflate"] as const) {
    const res = await client.unary({ payload: compressible }, { compression });
    assert.equal(res.payload.byteLength, 10_000);
  }
  channel.close();
  await peer.close();
});

test("server-level response compression, for clients that accept it", async () => {
  const { server, port } = await startReportingServer({ compression: "deflate" });
  const body = [frame(toBinary(EchoRequestSchema, create(EchoRequestSchema, { payload: compressible })))];
  const accepting = await rawRequest(port, grpcHeaders("/tsgrpc.test.v1.EchoService/Unary", { "grpc-accept-encoding": "gzip,deflate" }), body);
  assert.equal(accepting.headers["grpc-encoding"], "deflate");
  assert.equal(accepting.body[0], 1);
  const plain = await rawRequest(port, grpcHeaders("/tsgrpc.test.v1.EchoService/Unary"), body);
  assert.equal(plain.headers["grpc-encoding"], undefined);
  assert.equal(plain.body[0], 0);
  // grpc-js and tsgrpc clients both accept deflate and read the answers.
  const { client, close } = createGrpcJsEchoClient(port);
  assert.equal((await client.unary({ payload: compressible })).payload.byteLength, 10_000);
  close();
  const channel = createChannel(`http://127.0.0.1:${port}`);
  assert.equal((await createClient(EchoService, channel).unary({ payload: compressible })).payload.byteLength, 10_000);
  channel.close();
  await server.close();
});
