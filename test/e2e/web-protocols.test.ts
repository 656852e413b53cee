// gRPC-Web and Connect on the wire, as raw HTTP/1.1 and HTTP/2 requests:
// text mode with bodies split and concatenated, trailer frames, trailers-only,
// CORS preflights, Connect GET, HTTP statuses of unary errors, end-of-stream
// messages, and the refusals of a server with both protocols off.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import * as https from "node:https";
import { gzipSync } from "node:zlib";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createServer, type HandlerContext, type Server } from "../../src/index.js";
import { Base64StreamDecoder } from "../../src/internal/web/base64-stream.js";
import { EchoRequestSchema, EchoResponseSchema, EchoService } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { GetUserRequestSchema, GetUserResponseSchema, UserService } from "../../examples/users/gen/users/v1/users_pb.js";
import { createUserStore, userService } from "../../examples/users/user-service.js";
import { echoService } from "./echo-service.js";
import { frame, rawRequest } from "./raw-http2.js";
import { assertNoLeaks } from "./leak-check.js";
import { testPki } from "./test-certs.js";

interface Http1Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTP/1.1 request; the body goes out in the given pieces, each its own write. */
function http1(port: number, method: string, path: string, headers: Record<string, string>, pieces: Buffer[] = []): Promise<Http1Response> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.setTimeout(5000, () => req.destroy(new Error("timeout")));
    for (const p of pieces) req.write(p);
    req.end();
  });
}

/** Splits a length-prefixed body into frames. */
function frames(body: Uint8Array): { flags: number; data: Buffer }[] {
  const b = Buffer.from(body);
  const out: { flags: number; data: Buffer }[] = [];
  for (let i = 0; i < b.length; ) {
    const len = b.readUInt32BE(i + 1);
    out.push({ flags: b[i]!, data: b.subarray(i + 5, i + 5 + len) });
    i += 5 + len;
  }
  return out;
}

function pieces(text: string, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < text.length; i += size) out.push(Buffer.from(text.slice(i, i + size)));
  return out;
}

const echoPath = "/tsgrpc.test.v1.EchoService/Unary";
const streamPath = "/tsgrpc.test.v1.EchoService/ServerStream";
const getUserPath = "/users.v1.UserService/GetUser";

describe("gRPC-Web and Connect on the wire", () => {
  let server: Server;
  let port: number;

  before(async () => {
    server = createServer({ cors: { allowedOrigins: ["http://good.example"], allowedHeaders: ["x-custom"], exposedHeaders: ["x-resp"] } })
      .service(EchoService, echoService())
      .service(UserService, userService(createUserStore()));
    ({ port } = await server.listen("127.0.0.1:0"));
  });

  after(async () => {
    await server.close({ graceMs: 100 });
    await assertNoLeaks();
  });

  const request = toBinary(EchoRequestSchema, create(EchoRequestSchema, { payload: new Uint8Array([1, 2, 3]), responseCount: 2 }));

  /** A text-mode response: decoded (it may be several padded texts), its frames, the trailer block parsed. */
  function readText(body: Buffer) {
    const all = frames(new Base64StreamDecoder().push(body));
    const trailer = all.at(-1)!;
    assert.equal(trailer.flags, 0x80);
    const trailers = Object.fromEntries(
      trailer.data
        .toString()
        .split("\r\n")
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()]),
    );
    return { messages: all.slice(0, -1), trailers };
  }

  for (const version of ["HTTP/1.1", "HTTP/2"] as const) {
    test(`grpc-web-text over ${version}: a body split every 3 bytes, and one made of two padded texts`, async () => {
      const whole = frame(request);
      const bodies = [pieces(whole.toString("base64"), 3), [Buffer.from(whole.subarray(0, 4).toString("base64") + whole.subarray(4).toString("base64"))]];
      for (const body of bodies) {
        const headers = { "content-type": "application/grpc-web-text", "x-grpc-web": "1", "x-header-a": "1" };
        let status: number;
        let raw: Buffer;
        let h: Record<string, unknown>;
        if (version === "HTTP/1.1") {
          const r = await http1(port, "POST", streamPath, headers, body);
          ({ status, body: raw, headers: h } = r);
        } else {
          const r = await rawRequest(port, { ":method": "POST", ":path": streamPath, ...headers }, body);
          ({ status, body: raw, headers: h } = r);
        }
        assert.equal(status, 200);
        assert.equal(h["content-type"], "application/grpc-web-text");
        assert.equal(h["x-header-a"], "1");
        const { messages, trailers } = readText(raw);
        assert.deepEqual(
          messages.map((m) => fromBinary(EchoResponseSchema, m.data).index),
          [0, 1],
        );
        assert.equal(trailers["grpc-status"], "0");
      }
    });
  }

  test("gRPC-Web: an immediate error is trailers-only, a late one a trailer frame", async () => {
    const early = await http1(port, "POST", echoPath, { "content-type": "application/grpc-web+proto" }, [
      frame(toBinary(EchoRequestSchema, create(EchoRequestSchema, { failCode: 5, failMessage: "gone ☺" }))),
    ]);
    assert.equal(early.status, 200);
    assert.equal(early.headers["grpc-status"], "5");
    assert.equal(early.headers["grpc-message"], "gone %E2%98%BA");
    assert.equal(early.body.length, 0);
    const late = await http1(port, "POST", streamPath, { "content-type": "application/grpc-web" }, [
      frame(toBinary(EchoRequestSchema, create(EchoRequestSchema, { responseCount: 3, failCode: 10, failAfter: 1, failMessage: "late" }))),
    ]);
    const all = frames(late.body);
    assert.deepEqual(all.map((f) => f.flags), [0, 0x80]);
    assert.match(all[1]!.data.toString(), /^grpc-status: 10\r\ngrpc-message: late\r\n/);
  });

  test("gRPC-Web: a malformed grpc-timeout and a truncated body fail with INTERNAL", async () => {
    const bad = await http1(port, "POST", echoPath, { "content-type": "application/grpc-web", "grpc-timeout": "forever" }, [frame(request)]);
    assert.equal(bad.headers["grpc-status"], "13");
    const cut = await http1(port, "POST", echoPath, { "content-type": "application/grpc-web" }, [frame(request).subarray(0, 6)]);
    assert.equal(cut.headers["grpc-status"], "13");
  });

  test("CORS: preflights from allowed and other origins, and the headers of an actual response", async () => {
    const ok = await http1(port, "OPTIONS", echoPath, {
      origin: "http://good.example",
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type,x-grpc-web,x-custom",
    });
    assert.equal(ok.status, 204);
    assert.equal(ok.headers["access-control-allow-origin"], "http://good.example");
    const allowed = String(ok.headers["access-control-allow-headers"]).split(", ");
    for (const h of ["content-type", "x-grpc-web", "x-custom", "connect-protocol-version", "grpc-timeout"]) assert.ok(allowed.includes(h), h);
    const refused = await http1(port, "OPTIONS", echoPath, { origin: "http://evil.example", "access-control-request-method": "POST" });
    assert.equal(refused.status, 403);
    assert.equal(refused.headers["access-control-allow-origin"], undefined);
    const res = await http1(port, "POST", echoPath, { origin: "http://good.example", "content-type": "application/grpc-web" }, [frame(request)]);
    assert.equal(res.headers["access-control-allow-origin"], "http://good.example");
    const exposed = String(res.headers["access-control-expose-headers"]).split(", ");
    for (const h of ["grpc-status", "grpc-message", "grpc-status-details-bin", "x-resp"]) assert.ok(exposed.includes(h), h);
    const other = await http1(port, "POST", echoPath, { origin: "http://evil.example", "content-type": "application/grpc-web" }, [frame(request)]);
    assert.equal(other.headers["access-control-allow-origin"], undefined);
    assert.equal(other.headers.vary, "Origin");
  });

  test("CORS: refusals of the web dispatch (405, 415) and errors carry the CORS headers too", async () => {
    const origin = { origin: "http://good.example" };
    const answers = {
      "grpc-web GET": await http1(port, "GET", echoPath, { ...origin, "content-type": "application/grpc-web" }),
      "grpc-web unknown codec": await http1(port, "POST", echoPath, { ...origin, "content-type": "application/grpc-web+thrift" }, [frame(request)]),
      "Connect GET, side effects": await http1(port, "GET", `${echoPath}?encoding=json&message={}`, origin),
      "Connect GET, no encoding": await http1(port, "GET", `${getUserPath}?message={}`, origin),
      "Connect unknown codec": await http1(port, "POST", echoPath, { ...origin, "content-type": "application/thrift" }, [Buffer.from("x")]),
      "Connect error": await http1(port, "POST", "/tsgrpc.test.v1.EchoService/Nope", { ...origin, "content-type": "application/json" }, [Buffer.from("{}")]),
    };
    assert.deepEqual(
      Object.fromEntries(Object.entries(answers).map(([k, r]) => [k, [r.status, r.headers["access-control-allow-origin"], r.headers.vary]])),
      {
        "grpc-web GET": [405, "http://good.example", "Origin"],
        "grpc-web unknown codec": [415, "http://good.example", "Origin"],
        "Connect GET, side effects": [405, "http://good.example", "Origin"],
        "Connect GET, no encoding": [415, "http://good.example", "Origin"],
        "Connect unknown codec": [415, "http://good.example", "Origin"],
        "Connect error": [501, "http://good.example", "Origin"],
      },
    );
  });

  test("Connect GET: JSON in the query, base64 binary with gzip, and only for side-effect-free methods", async () => {
    const json = await http1(port, "GET", `${getUserPath}?connect=v1&encoding=json&message=${encodeURIComponent('{"id":"0002"}')}`, {});
    assert.equal(json.status, 200);
    assert.equal(json.headers["content-type"], "application/json");
    assert.equal(JSON.parse(json.body.toString()).user.name, "grace");
    const bin = gzipSync(toBinary(GetUserRequestSchema, create(GetUserRequestSchema, { id: "0003" })));
    const r = await rawRequest(port, { ":method": "GET", ":path": `${getUserPath}?encoding=proto&base64=1&compression=gzip&message=${bin.toString("base64url")}` });
    assert.equal(r.status, 200);
    assert.equal(fromBinary(GetUserResponseSchema, r.body).user?.name, "alan");
    const missing = await http1(port, "GET", `${getUserPath}?encoding=json&message=${encodeURIComponent('{"id":"nope"}')}`, {});
    assert.equal(missing.status, 404);
    assert.deepEqual(JSON.parse(missing.body.toString()), { code: "not_found", message: "user nope not found" });
    assert.equal((await http1(port, "GET", `${echoPath}?encoding=json&message={}`, {})).status, 405);
    assert.equal((await http1(port, "GET", "/users.v1.UserService/ListUsers?encoding=json&message={}", {})).status, 405);
    const unknown = await http1(port, "GET", "/users.v1.UserService/Nope?encoding=json&message={}", {});
    assert.equal(unknown.status, 501);
    assert.equal(JSON.parse(unknown.body.toString()).code, "unimplemented");
  });

  test("Connect unary: HTTP statuses of errors, protocol version, timeouts, unknown methods, trailers as headers", async () => {
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      http1(port, "POST", path, { "content-type": "application/json", ...headers }, [Buffer.from(body)]);
    const ok = await post(echoPath, '{"payload":"AQI="}', { "x-trailer-t": "v", "x-header-h": "w" });
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(ok.body.toString()), { payload: "AQI=" });
    assert.equal(ok.headers["trailer-x-trailer-t"], "v");
    assert.equal(ok.headers["x-header-h"], "w");
    const cases: [string, Record<string, string>, number, string][] = [
      ['{"failCode":3,"failMessage":"bad"}', {}, 400, "invalid_argument"],
      ['{"failCode":16}', {}, 401, "unauthenticated"],
      ['{"failCode":8}', {}, 429, "resource_exhausted"],
      ['{"failCode":14}', {}, 503, "unavailable"],
      ["{}", { "connect-protocol-version": "2" }, 400, "invalid_argument"],
      ["{}", { "connect-timeout-ms": "soon" }, 400, "invalid_argument"],
      ['{"sleepMs":2000}', { "connect-timeout-ms": "50" }, 504, "deadline_exceeded"],
    ];
    for (const [body, headers, status, code] of cases) {
      const r = await post(echoPath, body, headers);
      assert.equal(r.status, status, body);
      assert.equal(r.headers["content-type"], "application/json");
      assert.equal(JSON.parse(r.body.toString()).code, code, body);
    }
    const unknown = await post("/tsgrpc.test.v1.EchoService/Nope", "{}");
    assert.equal(unknown.status, 501);
    assert.equal(JSON.parse(unknown.body.toString()).code, "unimplemented");
    assert.equal((await post("/not/a/method", "{}")).status, 415, "not a method path: not Connect");
  });

  test("Connect streaming: messages, then an end-of-stream message with the error and the trailers", async () => {
    const body = frame(Buffer.from(JSON.stringify({ responseCount: 2, failCode: 9, failAfter: 2, failMessage: "stop" })));
    const r = await http1(port, "POST", streamPath, { "content-type": "application/connect+json", "x-trailer-z": "1" }, [body]);
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], "application/connect+json");
    const all = frames(r.body);
    assert.deepEqual(all.map((f) => f.flags), [0, 0, 2]);
    assert.deepEqual(JSON.parse(all[2]!.data.toString()), { error: { code: "failed_precondition", message: "stop" }, metadata: { "x-trailer-z": ["1"] } });
  });
});

test("a server with gRPC-Web and Connect off answers them as any unknown request", async () => {
  const server = createServer({ grpcWeb: false, connect: false }).service(EchoService, echoService());
  const { port } = await server.listen("127.0.0.1:0");
  try {
    assert.equal((await http1(port, "POST", echoPath, { "content-type": "application/grpc-web" }, [frame(new Uint8Array())])).status, 415);
    assert.equal((await http1(port, "POST", echoPath, { "content-type": "application/json" }, [Buffer.from("{}")])).status, 415);
    assert.equal((await rawRequest(port, { ":method": "POST", ":path": echoPath, "content-type": "application/connect+proto" })).status, 415);
    assert.equal((await http1(port, "GET", `${echoPath}?encoding=json&message={}`, {})).status, 405);
    assert.throws(() => createServer({ connect: "yes" as unknown as boolean }), TypeError);
    assert.throws(() => createServer({ cors: { allowedOrigins: 5 as unknown as string[] } }), TypeError);
    assert.throws(() => createServer({ cors: { allowedOrigins: "*", allowCredentials: true } }), TypeError);
  } finally {
    await server.close({ graceMs: 100 });
  }
});

test("an mTLS address refuses gRPC-Web and Connect over HTTP/1.1 without a client certificate, and serves them with one", async () => {
  const pki = testPki();
  const server = createServer().service(EchoService, echoService());
  const { port } = await server.listen({ host: "127.0.0.1", port: 0, tls: { ...pki.server, ca: pki.ca, requireClientCert: true } });
  const post = (client: { cert?: string | Buffer; key?: string | Buffer }) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
      const req = https.request(
        { host: "127.0.0.1", port, method: "POST", path: echoPath, servername: "localhost", ca: pki.ca, ...client, agent: false, headers: { "content-type": "application/grpc-web" } },
        (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
        },
      );
      req.on("error", reject);
      req.end(frame(new Uint8Array()));
    });
  try {
    const refused = await post({});
    assert.equal(refused.status, 403);
    const served = await post(pki.client);
    assert.equal(served.status, 200);
  } finally {
    await server.close({ graceMs: 100 });
  }
});

test("hostile bodies get a status, and the server stays up", async () => {
  const server = createServer({ maxReceiveBytes: 1000 }).service(EchoService, echoService());
  const { port } = await server.listen("127.0.0.1:0");
  try {
    const big = await http1(port, "POST", echoPath, { "content-type": "application/proto" }, [Buffer.alloc(5000)]);
    assert.equal(big.status, 429);
    assert.equal(JSON.parse(big.body.toString()).code, "resource_exhausted");
    const bigFrame = await http1(port, "POST", echoPath, { "content-type": "application/grpc-web" }, [frame(new Uint8Array(5000))]);
    assert.equal(bigFrame.headers["grpc-status"], "8");
    const notBase64 = await http1(port, "POST", echoPath, { "content-type": "application/grpc-web-text" }, [Buffer.from("!!!!")]);
    assert.equal(notBase64.headers["grpc-status"], "13");
    const badJson = await http1(port, "POST", echoPath, { "content-type": "application/json" }, [Buffer.from("{nope")]);
    assert.equal(JSON.parse(badJson.body.toString()).code, "internal");
    const badEndStream = await http1(port, "POST", streamPath, { "content-type": "application/connect+proto" }, [frame(new Uint8Array(), 0x02)]);
    assert.equal(badEndStream.status, 200);
    assert.equal(JSON.parse(frames(badEndStream.body).at(-1)!.data.toString()).error.code, "internal");
    const gzipLie = await http1(port, "POST", echoPath, { "content-type": "application/proto", "content-encoding": "gzip" }, [Buffer.from("not gzip")]);
    assert.equal(JSON.parse(gzipLie.body.toString()).code, "internal");
    const unknownEncoding = await http1(port, "POST", echoPath, { "content-type": "application/proto", "content-encoding": "br" }, [Buffer.from("x")]);
    assert.equal(unknownEncoding.status, 501);
    const ok = await http1(port, "POST", echoPath, { "content-type": "application/json" }, [Buffer.from("{}")]);
    assert.equal(ok.status, 200);
  } finally {
    await server.close({ graceMs: 100 });
  }
});

test("request metadata over gRPC-Web and Connect: the call's own headers, without the protocol's, HTTP's or the browser's", async () => {
  const seen: string[][] = [];
  const record = (ctx: HandlerContext) => seen.push([...ctx.metadata.keys()].sort());
  const server = createServer({ cors: { allowedOrigins: "*" } }).service(EchoService, {
    ...echoService(),
    unary(req, ctx) {
      record(ctx);
      return { payload: req.payload };
    },
    async *serverStream(req, ctx) {
      record(ctx);
      yield { payload: req.payload };
    },
  });
  const request = toBinary(EchoRequestSchema, create(EchoRequestSchema, { payload: new Uint8Array([1]) }));
  const { port } = await server.listen("127.0.0.1:0");
  const browser = { origin: "http://app.example", referer: "http://app.example/page", "sec-fetch-mode": "cors", accept: "*/*", "accept-encoding": "gzip", "x-app": "1" };
  try {
    const web = await http1(port, "POST", echoPath, { ...browser, "content-type": "application/grpc-web", "x-grpc-web": "1" }, [frame(request)]);
    assert.equal(web.headers["grpc-status"] ?? "0", "0");
    const unary = await http1(port, "POST", echoPath, { ...browser, "content-type": "application/json", "connect-protocol-version": "1", "connect-timeout-ms": "5000" }, [Buffer.from("{}")]);
    assert.equal(unary.status, 200);
    const stream = await http1(port, "POST", streamPath, { ...browser, "content-type": "application/connect+json", "connect-accept-encoding": "gzip" }, [frame(Buffer.from("{}"))]);
    assert.deepEqual(frames(stream.body).map((f) => f.flags), [0, 2]);
    assert.deepEqual(seen, [["x-app"], ["x-app"], ["x-app"]]);
  } finally {
    await server.close({ graceMs: 100 });
  }
});
