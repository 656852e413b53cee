// REST/JSON transcoding end to end, over loopback with Node's own HTTP/1.1
// and HTTP/2 clients: routes, bodies, query parameters, streams, errors,
// metadata, and a server without transcoding answering as before.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, createDetail, createServer, RpcError, type Server, type ServiceImpl } from "../../src/index.js";
import { ErrorInfoSchema } from "../../src/status/gen/google/rpc/error_details_pb.js";
import { Messaging } from "../gen/tsgrpc/transcoding/v1/messaging_pb.js";
import { assertNoLeaks } from "../e2e/leak-check.js";
import { http1Request, http2Request, type TestRequest, type TestResponse } from "./http-clients.js";

const messaging: ServiceImpl<typeof Messaging> = {
  async getMessage(req, ctx) {
    ctx.responseHeader.set("x-seen-user", ctx.metadata.get("x-user") ?? "none");
    ctx.responseTrailer.set("x-trailer", "t");
    return { messageId: req.messageId, text: `rev ${req.revision} sub ${req.sub?.subfield ?? ""} user ${req.userId}` };
  },
  async getMessageByName(req) {
    return { messageId: req.name };
  },
  async updateMessage(req) {
    return { messageId: req.messageId, text: req.message?.text ?? "" };
  },
  async updateMessageStar(req) {
    return req;
  },
  async cancelOperation() {
    return {};
  },
  async search(req) {
    return { echo: req, total: req.tags.length };
  },
  async getText(req) {
    return { messageId: req.messageId, text: `text of ${req.messageId}` };
  },
  async *listMessages(req) {
    for (let i = 0; i < req.count; i++) {
      if (req.failAfter > 0 && i === req.failAfter) throw new RpcError(Code.ABORTED, "stopped", { details: [createDetail(ErrorInfoSchema, { reason: "STOP" })] });
      yield { messageId: String(i) };
    }
  },
  async fail(req) {
    throw new RpcError(req.code as Code, `failed with ${req.code}`, { details: [createDetail(ErrorInfoSchema, { reason: "WHY", domain: "test" })] });
  },
};

async function withServer(fn: (port: number, server: Server) => Promise<void>, rest?: boolean): Promise<void> {
  const server = createServer(rest === undefined ? {} : { rest }).service(Messaging, messaging);
  const { port } = await server.listen("127.0.0.1:0");
  try {
    await fn(port, server);
  } finally {
    await server.close({ graceMs: 500 });
  }
}

/** Runs `fn` with a request function over HTTP/1.1, then over HTTP/2. */
async function overBoth(port: number, fn: (send: (r: TestRequest) => Promise<TestResponse>, version: string) => Promise<void>): Promise<void> {
  await fn((r) => http1Request(port, r), "HTTP/1.1");
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", () => {});
  try {
    await fn((r) => http2Request(session, r), "HTTP/2");
  } finally {
    session.close();
  }
}

test("unary calls over HTTP/1.1 and HTTP/2: path, query, bodies, response_body, metadata", async () => {
  await withServer(async (port) =>
    overBoth(port, async (send, v) => {
      const get = await send({ method: "GET", path: "/v1/messages/m%201?revision=3&sub.subfield=s", headers: { "x-user": "ann", "grpc-metadata-x-extra": "e" } });
      assert.equal(get.status, 200, v);
      assert.match(String(get.headers["content-type"]), /^application\/json/);
      assert.deepEqual(JSON.parse(get.text), { messageId: "m 1", text: "rev 3 sub s user " });
      assert.equal(get.headers["grpc-metadata-x-seen-user"], "ann", v);
      assert.equal(get.headers["grpc-trailer-x-trailer"], "t", v);
      const extra = await send({ method: "GET", path: "/v1/users/u7/messages/9" });
      assert.equal(JSON.parse(extra.text).text, "rev 0 sub  user u7", v);
      const patch = await send({ method: "PATCH", path: "/v1/messages/5", body: '{"text":"Hi!"}', headers: { "content-type": "application/json" } });
      assert.deepEqual(JSON.parse(patch.text), { messageId: "5", text: "Hi!" }, v);
      const star = await send({ method: "PATCH", path: "/v2/messages/6", body: '{"text":"star"}' });
      assert.deepEqual(JSON.parse(star.text), { messageId: "6", text: "star" }, v);
      const cancel = await send({ method: "POST", path: "/v1/operations/a/b:cancel", body: "{}" });
      assert.equal(cancel.status, 200, v);
      assert.deepEqual(JSON.parse(cancel.text), {});
      const text = await send({ method: "GET", path: "/v1/messages/7/text" });
      assert.equal(JSON.parse(text.text), "text of 7", v);
      const search = await send({ method: "GET", path: "/v1/search?tags=a&tags=b&kind=KIND_TASK&after=2024-01-02T03:04:05Z" });
      const echo = JSON.parse(search.text);
      assert.deepEqual(echo.echo.tags, ["a", "b"]);
      assert.equal(echo.echo.kind, "KIND_TASK");
      assert.equal(echo.echo.after, "2024-01-02T03:04:05Z");
      assert.equal(echo.total, 2);
    }),
  );
  await assertNoLeaks();
});

test("errors: HTTP status from the gRPC code, google.rpc.Status JSON with details; misses are JSON 404/405", async () => {
  await withServer(async (port) =>
    overBoth(port, async (send, v) => {
      const notFound = await send({ method: "GET", path: "/v1/fail/5" });
      assert.equal(notFound.status, 404, v);
      assert.deepEqual(JSON.parse(notFound.text), {
        code: 5,
        message: "failed with 5",
        details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "WHY", domain: "test", metadata: {} }],
      });
      assert.equal((await send({ method: "GET", path: "/v1/fail/16" })).status, 401, v);
      assert.equal((await send({ method: "GET", path: "/v1/fail/14" })).status, 503, v);
      const bad = await send({ method: "GET", path: "/v1/messages/1?revision=abc" });
      assert.equal(bad.status, 400, v);
      assert.equal(JSON.parse(bad.text).code, Code.INVALID_ARGUMENT);
      const badBody = await send({ method: "PATCH", path: "/v2/messages/1", body: "{oops" });
      assert.equal(badBody.status, 400, v);
      const none = await send({ method: "GET", path: "/v9/nothing" });
      assert.equal(none.status, 404, v);
      assert.match(JSON.parse(none.text).message, /no HTTP rule matches GET \/v9\/nothing/);
      const wrong = await send({ method: "DELETE", path: "/v1/search" });
      assert.equal(wrong.status, 405, v);
      assert.equal(wrong.headers["allow"], "GET");
      const unimplemented = await send({ method: "GET", path: "/v1/projects/p/users/u/messages/1" });
      assert.equal(unimplemented.status, 501, v);
      assert.equal(JSON.parse(unimplemented.text).code, Code.UNIMPLEMENTED);
      const timeout = await send({ method: "GET", path: "/v1/messages/1", headers: { "grpc-timeout": "soon" } });
      assert.equal(timeout.status, 400, v);
    }),
  );
  await assertNoLeaks();
});

test("server streaming is newline-delimited JSON, with a last error line if the stream fails", async () => {
  await withServer(async (port) =>
    overBoth(port, async (send, v) => {
      const ok = await send({ method: "GET", path: "/v1/messages?count=3" });
      assert.equal(ok.status, 200, v);
      assert.equal(ok.headers["content-type"], "application/x-ndjson");
      assert.deepEqual(ok.text.trimEnd().split("\n").map((l) => JSON.parse(l)), [0, 1, 2].map((i) => ({ result: { messageId: String(i), text: "" } })));
      const empty = await send({ method: "GET", path: "/v1/messages?count=0" });
      assert.equal(empty.status, 200, v);
      assert.equal(empty.text, "");
      const failed = await send({ method: "GET", path: "/v1/messages?count=5&fail_after=2" });
      assert.equal(failed.status, 200, v);
      const lines = failed.text.trimEnd().split("\n").map((l) => JSON.parse(l));
      assert.equal(lines.length, 3);
      assert.deepEqual(lines[2], { error: { code: 10, message: "stopped", details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "STOP", domain: "", metadata: {} }] } });
      const early = await send({ method: "GET", path: "/v1/messages?count=5&fail_after=-1".replace("-1", "0") });
      assert.equal(early.status, 200, v);
    }),
  );
  await assertNoLeaks();
});

test("rest: false answers non-gRPC requests as before (405/415), and bad rules fail registration", async () => {
  await withServer(async (port) => {
    assert.equal((await http1Request(port, { method: "GET", path: "/v1/messages/1" })).status, 405);
    assert.equal((await http1Request(port, { method: "POST", path: "/v1/operations/a:cancel", body: "{}" })).status, 415);
  }, false);
  const { BadRules, Conflicting } = await import("../gen/tsgrpc/transcoding/v1/messaging_pb.js");
  assert.throws(() => createServer().service(BadRules, {}), /google.api.http of tsgrpc.transcoding.v1.BadRules/);
  assert.throws(() => createServer().service(Conflicting, {}), /conflicting HTTP routes/);
  // Without transcoding, the annotations are not looked at.
  assert.doesNotThrow(() => createServer({ rest: false }).service(Conflicting, {}));
  await assertNoLeaks();
});

test("a client that goes away cancels the call: the handler's signal fires, the server stays up", async () => {
  let aborted: (reason: unknown) => void = () => {};
  const abortedP = new Promise<unknown>((resolve) => (aborted = resolve));
  const server = createServer().service(Messaging, {
    async collect(requests) {
      let total = 0;
      for await (const _ of requests) total++;
      return { total };
    },
    async *listMessages(_req, ctx) {
      ctx.signal.addEventListener("abort", () => aborted(ctx.signal.reason), { once: true });
      for (let i = 0; ; i++) {
        yield { messageId: String(i), text: "x".repeat(1000) };
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  });
  const { port } = await server.listen("127.0.0.1:0");
  try {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", () => {});
    const stream = session.request({ ":method": "GET", ":path": "/v1/messages?count=1" });
    await new Promise<void>((resolve) => stream.once("data", () => resolve()));
    stream.close(http2.constants.NGHTTP2_CANCEL);
    const reason = (await abortedP) as RpcError;
    assert.equal(reason.code, Code.CANCELLED);
    session.close();
    // HTTP/1.1: the connection closes mid-stream.
    const again = new Promise<unknown>((resolve) => (aborted = resolve));
    const http = await import("node:http");
    const req = http.get({ host: "127.0.0.1", port, path: "/v1/messages", agent: false }, (res) => res.once("data", () => req.destroy()));
    req.on("error", () => {});
    assert.equal(((await again) as RpcError).code, Code.CANCELLED);
    // HTTP/1.1 and HTTP/2: the client goes away in the middle of a request stream's upload.
    const net = await import("node:net");
    const socket = net.connect(port, "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write("POST /v1/collect/p HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n{\"text\":\"a\"}\n{\"te");
    await sleep(50);
    socket.destroy();
    const upload = session2(port);
    const s2 = upload.request({ ":method": "POST", ":path": "/v1/collect/p" });
    s2.on("error", () => {});
    s2.write('{"text":"a"}\n');
    await sleep(50);
    s2.close(http2.constants.NGHTTP2_CANCEL);
    await sleep(50);
    upload.close();
    assert.equal((await http1Request(port, { method: "GET", path: "/v9/x" })).status, 404, "still serving");
  } finally {
    await server.close({ graceMs: 500 });
  }
  await assertNoLeaks();
});

test("a body over maxReceiveBytes is RESOURCE_EXHAUSTED (429); TLS serves REST over HTTP/1.1 and h2", async () => {
  const { testPki } = await import("../e2e/test-certs.js");
  const https = await import("node:https");
  const pki = testPki();
  const server = createServer({ maxReceiveBytes: 1024 }).service(Messaging, messaging);
  const plain = await server.listen("127.0.0.1:0");
  const secure = await server.listen({ host: "127.0.0.1", port: 0, tls: pki.server });
  try {
    const big = await http1Request(plain.port, { method: "PATCH", path: "/v2/messages/1", body: JSON.stringify({ text: "x".repeat(5000) }) });
    assert.equal(big.status, 429);
    assert.match(JSON.parse(big.text).message, /larger than the server's limit of 1024 bytes/);
    const viaH1 = await new Promise<string>((resolve, reject) => {
      const req = https.get({ host: "127.0.0.1", port: secure.port, path: "/v1/messages/t1", ca: pki.ca, servername: "localhost", agent: false }, (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve(text));
      });
      req.on("error", reject);
    });
    assert.equal(JSON.parse(viaH1).messageId, "t1");
    const session = http2.connect(`https://127.0.0.1:${secure.port}`, { ca: pki.ca, servername: "localhost" });
    session.on("error", () => {});
    const viaH2 = await http2Request(session, { method: "GET", path: "/v1/messages/t2" });
    session.close();
    assert.equal(JSON.parse(viaH2.text).messageId, "t2");
  } finally {
    await server.close({ graceMs: 500 });
  }
  await assertNoLeaks();
});

test("request streams: newline-delimited JSON bodies for client-streaming and bidi methods", async () => {
  const server = createServer({ maxReceiveBytes: 200 }).service(Messaging, {
    async collect(requests) {
      const results = [];
      for await (const m of requests) results.push(m);
      return { results, total: results.length };
    },
    async *echo(requests) {
      for await (const m of requests) yield { messageId: m.messageId, text: m.text.toUpperCase() };
    },
  });
  const { port } = await server.listen("127.0.0.1:0");
  try {
    await overBoth(port, async (send, v) => {
      const collected = await send({ method: "POST", path: "/v1/collect/p", body: '{"text":"a"}\n\n{"text":"b","message_id":"ignored"}\r\n{"text":"c"}' });
      assert.equal(collected.status, 200, v);
      const res = JSON.parse(collected.text);
      assert.equal(res.total, 3);
      assert.deepEqual(res.results.map((m: { messageId: string; text: string }) => `${m.messageId}:${m.text}`), ["p:a", "p:b", "p:c"], "the path variable is set in every message");
      const echoed = await send({ method: "POST", path: "/v1/echo", body: '{"messageId":"1","text":"x"}\n{"messageId":"2","text":"y"}\n' });
      assert.equal(echoed.headers["content-type"], "application/x-ndjson");
      assert.deepEqual(echoed.text.trimEnd().split("\n").map((l) => JSON.parse(l).result.text), ["X", "Y"], v);
      const badLine = await send({ method: "POST", path: "/v1/collect/p", body: '{"text":"a"}\n[1]\n' });
      assert.equal(badLine.status, 400, v);
      const tooLong = await send({ method: "POST", path: "/v1/collect/p", body: `{"text":"${"x".repeat(300)}"}\n` });
      assert.equal(tooLong.status, 429, v);
      const none = await send({ method: "POST", path: "/v1/collect/p", body: "" });
      assert.equal(JSON.parse(none.text).total, 0, v);
    });
  } finally {
    await server.close({ graceMs: 500 });
  }
  await assertNoLeaks();
});

function session2(port: number): http2.ClientHttp2Session {
  const s = http2.connect(`http://127.0.0.1:${port}`);
  s.on("error", () => {});
  return s;
}
