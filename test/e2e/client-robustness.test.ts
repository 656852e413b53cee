// A client turns every way a server can misbehave into one clear status.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, RpcError, createChannel, createClient, type Channel } from "../../src/index.js";
import { EchoResponseSchema } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { EchoService } from "./echo-service.js";
import { frame } from "./raw-http2.js";

type Behaviour = (stream: http2.ServerHttp2Stream) => void;

const ok = { ":status": 200, "content-type": "application/grpc" };
const okMessage = () => frame(toBinary(EchoResponseSchema, create(EchoResponseSchema, { index: 7 })));

/** Each test's behaviour, chosen by the request's `x-case` header. */
const behaviours: Record<string, Behaviour> = {
  "http-404": (s) => s.respond({ ":status": 404 }, { endStream: true }),
  "http-503": (s) => s.respond({ ":status": 503 }, { endStream: true }),
  "http-401": (s) => s.respond({ ":status": 401 }, { endStream: true }),
  "http-500": (s) => s.respond({ ":status": 500 }, { endStream: true }),
  "wrong-content-type": (s) => s.respond({ ":status": 200, "content-type": "text/html" }, { endStream: true }),
  "no-trailers": (s) => {
    s.respond(ok);
    s.end(okMessage());
  },
  "trailers-only": (s) => s.respond({ ...ok, "grpc-status": "5", "grpc-message": "not%20here", "x-extra": "1" }, { endStream: true }),
  "bad-status": (s) => {
    s.respond(ok, { waitForTrailers: true });
    s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "abc" }));
    s.end(okMessage());
  },
  "status-out-of-range": (s) => {
    s.respond(ok, { waitForTrailers: true });
    s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "99", "grpc-message": "odd" }));
    s.end();
  },
  "bad-message-encoding": (s) => {
    s.respond(ok, { waitForTrailers: true });
    s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "3", "grpc-message": "bad %ZZ %E2%98 ok" }));
    s.end();
  },
  "rst-cancel": (s) => s.close(http2.constants.NGHTTP2_CANCEL),
  "rst-refused": (s) => s.close(http2.constants.NGHTTP2_REFUSED_STREAM),
  "rst-calm": (s) => s.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM),
  "rst-security": (s) => s.close(http2.constants.NGHTTP2_INADEQUATE_SECURITY),
  "rst-protocol": (s) => s.close(http2.constants.NGHTTP2_PROTOCOL_ERROR),
  "truncated-message": (s) => {
    s.respond(ok, { waitForTrailers: true });
    s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "0" }));
    s.end(okMessage().subarray(0, 3));
  },
  "garbage-message": (s) => {
    s.respond(ok, { waitForTrailers: true });
    s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "0" }));
    s.end(frame(Buffer.from([0xff, 0xff, 0xff])));
  },
  "two-messages": (s) => {
    s.respond(ok, { waitForTrailers: true });
    s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "0" }));
    s.end(Buffer.concat([okMessage(), okMessage()]));
  },
  "no-message": (s) => {
    s.respond(ok, { waitForTrailers: true });
    s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "0" }));
    s.end();
  },
  "compressed-without-encoding": (s) => {
    s.respond(ok, { waitForTrailers: true });
    s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "0" }));
    s.end(frame(Buffer.from([1, 2, 3]), 1));
  },
  "unknown-encoding": (s) => {
    s.respond({ ...ok, "grpc-encoding": "br" }, { waitForTrailers: true });
    s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "0" }));
    s.end(frame(Buffer.from([1, 2, 3]), 1));
  },
  "split-bytes": (s) => {
    s.respond(ok, { waitForTrailers: true });
    s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "0" }));
    const bytes = okMessage();
    for (const b of bytes) s.write(Buffer.from([b]));
    s.end();
  },
  "hang": () => {},
};

describe("client robustness", { timeout: 30_000 }, () => {
  let server: http2.Http2Server;
  let channel: Channel;
  before(async () => {
    server = http2.createServer();
    server.on("stream", (s, h) => {
      s.on("error", () => {});
      const b = behaviours[String(h["x-case"])];
      if (b) b(s);
      else s.respond({ ":status": 400 }, { endStream: true });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    channel = createChannel(`http://127.0.0.1:${port}`);
  });
  after(async () => {
    channel.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const call = (c: string, timeoutMs = 3000) => createClient(EchoService, channel).unary({}, { metadata: { "x-case": c }, timeoutMs });
  async function expectCode(c: string, code: Code): Promise<RpcError> {
    try {
      await call(c);
    } catch (e) {
      assert.ok(e instanceof RpcError, String(e));
      assert.equal(Code[e.code], Code[code], `${c}: ${e.rawMessage}`);
      return e;
    }
    assert.fail(`${c}: expected ${Code[code]}`);
  }

  test("HTTP statuses map to gRPC codes", async () => {
    await expectCode("http-404", Code.UNIMPLEMENTED);
    await expectCode("http-503", Code.UNAVAILABLE);
    await expectCode("http-401", Code.UNAUTHENTICATED);
    await expectCode("http-500", Code.UNKNOWN);
  });

  test("a non-gRPC content-type: UNKNOWN", async () => void (await expectCode("wrong-content-type", Code.UNKNOWN)));
  test("no trailers: an error, not a hang", async () => {
    const e = await expectCode("no-trailers", Code.UNAVAILABLE);
    assert.match(e.rawMessage, /trailers/);
  });
  test("trailers-only: status, decoded message and metadata", async () => {
    const e = await expectCode("trailers-only", Code.NOT_FOUND);
    assert.equal(e.rawMessage, "not here");
    assert.equal(e.metadata.get("x-extra"), "1");
  });
  test("a grpc-status that is not a number: UNKNOWN", async () => void (await expectCode("bad-status", Code.UNKNOWN)));
  test("a grpc-status out of range: UNKNOWN", async () => void (await expectCode("status-out-of-range", Code.UNKNOWN)));
  test("a malformed grpc-message is decoded leniently", async () => {
    const e = await expectCode("bad-message-encoding", Code.INVALID_ARGUMENT);
    assert.match(e.rawMessage, /^bad %ZZ .* ok$/);
  });
  test("RST_STREAM codes map to statuses", async () => {
    await expectCode("rst-cancel", Code.CANCELLED);
    await expectCode("rst-refused", Code.UNAVAILABLE);
    await expectCode("rst-calm", Code.RESOURCE_EXHAUSTED);
    await expectCode("rst-security", Code.PERMISSION_DENIED);
    await expectCode("rst-protocol", Code.INTERNAL);
  });
  test("a truncated message: INTERNAL", async () => void (await expectCode("truncated-message", Code.INTERNAL)));
  test("an unparseable message: INTERNAL", async () => void (await expectCode("garbage-message", Code.INTERNAL)));
  test("response cardinality: UNIMPLEMENTED", async () => {
    await expectCode("two-messages", Code.UNIMPLEMENTED);
    await expectCode("no-message", Code.UNIMPLEMENTED);
  });
  test("a compressed message without grpc-encoding: INTERNAL", async () => void (await expectCode("compressed-without-encoding", Code.INTERNAL)));
  test("an unknown response encoding: INTERNAL", async () => void (await expectCode("unknown-encoding", Code.INTERNAL)));
  test("a response split into 1-byte DATA frames", async () => {
    const res = await createClient(EchoService, channel).unary({}, { metadata: { "x-case": "split-bytes" } });
    assert.equal(res.index, 7);
  });
  test("a server that never answers: DEADLINE_EXCEEDED on time", async () => {
    const started = Date.now();
    await assert.rejects(call("hang", 150), (e: unknown) => e instanceof RpcError && e.code === Code.DEADLINE_EXCEEDED);
    assert.ok(Date.now() - started < 1000);
  });
});

test("a proxy's own answer with a gRPC status (nginx: HTTP 204, grpc-status 14): the gRPC status wins, and a retry policy retries it", { timeout: 10_000 }, async () => {
  let requests = 0;
  const server = http2.createServer((req, res) => {
    requests++;
    req.resume();
    if (requests === 1) {
      res.writeHead(204, { "grpc-status": "14", "grpc-message": "no live upstreams" });
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": "application/grpc" });
    res.addTrailers({ "grpc-status": "0" });
    res.end(frame(toBinary(EchoResponseSchema, create(EchoResponseSchema, {}))));
  });
  server.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const port = (server.address() as { port: number }).port;
  const plain = createChannel(`http://127.0.0.1:${port}`, { enableRetries: false });
  await assert.rejects(createClient(EchoService, plain).unary({}), (e: unknown) => e instanceof RpcError && e.code === Code.UNAVAILABLE && e.rawMessage === "no live upstreams");
  plain.close();
  requests = 0;
  const retrying = createChannel(`http://127.0.0.1:${port}`, {
    serviceConfig: { methodConfig: [{ name: [{}], retryPolicy: { maxAttempts: 2, initialBackoff: "0.01s", maxBackoff: "0.01s", backoffMultiplier: 1, retryableStatusCodes: ["UNAVAILABLE"] } }] },
  });
  await createClient(EchoService, retrying).unary({});
  assert.equal(requests, 2);
  retrying.close();
  server.close();
});
