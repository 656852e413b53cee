// gRPC with protobuf JSON (application/grpc+json) over HTTP/2: the echo
// contract with the JSON codec on both sides, and content-type negotiation.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { Code, RpcError, createChannel, createClient, createJsonCodec, createServer, protoCodec } from "../../src/index.js";
import { EchoService } from "./echo-service.js";
import { runEchoContract, tsgrpcPairing } from "./echo-contract.js";
import { assertNoLeaks } from "./leak-check.js";

runEchoContract(
  "tsgrpc client → tsgrpc server, JSON codec",
  tsgrpcPairing(async (server) => {
    const { port } = await server.listen("127.0.0.1:0");
    const channel = createChannel(`http://127.0.0.1:${port}`, { codec: createJsonCodec() });
    return { transport: channel, close: () => channel.close() };
  }),
);

async function rawCall(port: number, contentType: string, body: Buffer): Promise<{ headers: http2.IncomingHttpHeaders; trailers: http2.IncomingHttpHeaders; data: Buffer }> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    return await new Promise((resolve, reject) => {
      const req = session.request({ ":method": "POST", ":path": "/tsgrpc.test.v1.EchoService/Unary", "content-type": contentType, te: "trailers" });
      let headers: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      req.on("response", (h) => (headers = h));
      req.on("trailers", (t) => (trailers = t));
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => resolve({ headers, trailers, data: Buffer.concat(chunks) }));
      req.on("error", reject);
      req.setTimeout(5000, () => reject(new Error("timeout")));
      req.end(body);
    });
  } finally {
    session.close();
  }
}

function frame(payload: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(payload.length, 1);
  return Buffer.concat([prefix, payload]);
}

test("the server answers in the codec of the request's content type; unknown subtypes get HTTP 415", async () => {
  const server = createServer().service(EchoService, { async unary(req) { return { payload: req.payload, index: 7 }; } });
  const { port } = await server.listen("127.0.0.1:0");
  try {
    const json = await rawCall(port, "application/grpc+json", frame(Buffer.from('{"payload":"AQI="}')));
    assert.equal(json.headers["content-type"], "application/grpc+json");
    assert.equal(json.trailers["grpc-status"], "0");
    assert.deepEqual(JSON.parse(json.data.subarray(5).toString()), { payload: "AQI=", index: 7 });

    const proto = await rawCall(port, "application/grpc+proto", frame(Buffer.from([0x0a, 0x01, 0x05])));
    assert.equal(proto.headers["content-type"], "application/grpc+proto");
    assert.equal(proto.trailers["grpc-status"], "0");

    const bad = await rawCall(port, "application/grpc+json", frame(Buffer.from("{not json")));
    assert.equal(bad.headers["grpc-status"], String(Code.INTERNAL));
    assert.match(decodeURIComponent(String(bad.headers["grpc-message"])), /could not parse tsgrpc.test.v1.EchoRequest/);

    const cbor = await rawCall(port, "application/grpc+cbor", frame(Buffer.alloc(0)));
    assert.equal(cbor.headers[":status"], 415);
    assert.match(cbor.data.toString(), /application\/grpc\+\{proto,json\}/);
  } finally {
    await server.close({ graceMs: 100 });
  }
});

test("a server without the JSON codec refuses JSON calls; a client sees a clear error", async () => {
  const server = createServer({ codecs: [protoCodec] }).service(EchoService, { async unary() { return {}; } });
  const { port } = await server.listen("127.0.0.1:0");
  const channel = createChannel(`http://127.0.0.1:${port}`, { codec: createJsonCodec() });
  try {
    await assert.rejects(createClient(EchoService, channel).unary({}), (e: unknown) => e instanceof RpcError && /HTTP status 415/.test(e.rawMessage));
  } finally {
    channel.close();
    await server.close({ graceMs: 100 });
  }
  assert.throws(() => createServer({ codecs: [protoCodec, protoCodec] }), /two codecs named "proto"/);
  assert.throws(() => createChannel("http://127.0.0.1:1", { codec: { name: "Bad Name", encode: () => new Uint8Array(), decode: () => ({}) as never } }), /not a lowercase content subtype/);
});
