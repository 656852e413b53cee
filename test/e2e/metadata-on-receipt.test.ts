// Metadata that gRPC does not allow (values outside printable ASCII, keys
// outside 0-9 a-z _ - .) is dropped on receipt, on both sides: a handler or
// an interceptor that echoes what it got never fails on it.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { once } from "node:events";
import { create, toBinary } from "@bufbuild/protobuf";
import { createChannel, createClient, createServer, Metadata, type MetadataValue } from "../../src/index.js";
import { EchoRequestSchema, EchoResponseSchema } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { EchoService, echoService } from "./echo-service.js";
import { frame, grpcHeaders, grpcStatusOf, rawRequest } from "./raw-http2.js";

/** Header values Node's own client lets through that gRPC forbids. */
const badHeaders = {
  "x-header-latin1": "caf\u00e9",
  "x-header-tab": "a\tb",
  "x-header-del": "a\u007fb",
  "x-header-bang!": "fine value, bad key",
  "x-header-bad-bin": "not base64 !",
};

test("a server drops request metadata gRPC forbids, and the handler echoing the rest succeeds", async () => {
  let seen: [string, MetadataValue][] = [];
  const impl = echoService();
  const server = createServer().service(EchoService, {
    ...impl,
    unary(req, ctx) {
      seen = [...ctx.metadata];
      return impl.unary!(req, ctx);
    },
  });
  const { port } = await server.listen("127.0.0.1:0");
  try {
    const body = frame(toBinary(EchoRequestSchema, create(EchoRequestSchema, {})));
    const res = await rawRequest(port, grpcHeaders("/tsgrpc.test.v1.EchoService/Unary", { ...badHeaders, "x-header-good": "ok" }), [body]);
    assert.equal(grpcStatusOf(res), "0", `status ${grpcStatusOf(res)}: ${String(res.trailers["grpc-message"] ?? res.headers["grpc-message"])}`);
    assert.equal(res.headers["x-header-good"], "ok");
    for (const k of Object.keys(badHeaders)) {
      assert.equal(res.headers[k], undefined, `${k} was echoed`);
      assert.ok(!seen.some(([key]) => key === k), `the handler saw ${k}`);
    }
    assert.ok(seen.some(([k, v]) => k === "x-header-good" && v === "ok"));
  } finally {
    await server.close();
  }
});

test("a client drops response metadata gRPC forbids, in headers and trailers", async () => {
  const h2 = http2.createServer();
  h2.on("stream", (s) => {
    s.respond({ ":status": 200, "content-type": "application/grpc", ...badHeaders, "x-good": "ok" }, { waitForTrailers: true });
    s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "0", ...badHeaders, "x-good-trailer": "ok" }));
    s.end(frame(toBinary(EchoResponseSchema, create(EchoResponseSchema, { index: 3 }))));
  });
  h2.listen(0, "127.0.0.1");
  await once(h2, "listening");
  const channel = createChannel(`http://127.0.0.1:${(h2.address() as { port: number }).port}`);
  try {
    let header = new Metadata();
    let trailer = new Metadata();
    const res = await createClient(EchoService, channel).unary({}, { onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) });
    assert.equal(res.index, 3);
    assert.deepEqual(
      [...header].filter(([k]) => k !== "date"),
      [["x-good", "ok"]],
    );
    assert.deepEqual([...trailer], [["x-good-trailer", "ok"]]);
    // What was received can be sent on as it is.
    assert.doesNotThrow(() => new Metadata(header).merge(trailer));
  } finally {
    channel.close();
    h2.close();
  }
});
