// Every address accepts HTTP/1.1 beside HTTP/2 (for the protocols made for
// it); gRPC itself over HTTP/1.1 gets a clear refusal, and gRPC over HTTP/2
// on the same port is unaffected.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import * as https from "node:https";
import { createChannel, createClient, createServer } from "../../src/index.js";
import { EchoService } from "./echo-service.js";
import { assertNoLeaks } from "./leak-check.js";
import { testPki } from "./test-certs.js";

function http1(request: (cb: (res: http.IncomingMessage) => void) => http.ClientRequest, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request((res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.setTimeout(5000, () => req.destroy(new Error("timeout")));
    req.end(body);
  });
}

test("plain text: gRPC over HTTP/1.1 is refused with 505, other requests with 405/415; HTTP/2 still serves", async () => {
  const server = createServer().service(EchoService, { async unary() { return { index: 5 }; } });
  const { port } = await server.listen("127.0.0.1:0");
  const agent = new http.Agent({ keepAlive: false });
  try {
    const post = (contentType: string) =>
      http1((cb) => http.request({ host: "127.0.0.1", port, method: "POST", path: "/tsgrpc.test.v1.EchoService/Unary", agent, headers: { "content-type": contentType } }, cb), "\0\0\0\0\0");
    const grpc = await post("application/grpc");
    assert.equal(grpc.status, 505);
    assert.match(grpc.text, /gRPC requires HTTP\/2/);
    assert.equal((await post("application/grpc+proto")).status, 505);
    assert.equal((await post("text/plain")).status, 415);
    assert.equal((await http1((cb) => http.get({ host: "127.0.0.1", port, path: "/", agent }, cb))).status, 405);
    const channel = createChannel(`http://127.0.0.1:${port}`);
    assert.equal((await createClient(EchoService, channel).unary({})).index, 5);
    channel.close();
  } finally {
    agent.destroy();
    await server.close({ graceMs: 500 });
  }
  await assertNoLeaks();
});

test("TLS: HTTP/1.1 by ALPN gets the same refusal; h2 by ALPN serves gRPC", async () => {
  const pki = testPki();
  const server = createServer().service(EchoService, { async unary() { return { index: 6 }; } });
  const { port } = await server.listen({ host: "127.0.0.1", port: 0, tls: pki.server });
  const agent = new https.Agent({ keepAlive: false, ca: pki.ca });
  try {
    const res = await http1(
      (cb) => https.request({ host: "127.0.0.1", port, method: "POST", path: "/x.Y/Z", agent, servername: "localhost", headers: { "content-type": "application/grpc" } }, cb),
      "",
    );
    assert.equal(res.status, 505);
    const channel = createChannel(`https://localhost:${port}`, { tls: { ca: pki.ca } });
    assert.equal((await createClient(EchoService, channel).unary({})).index, 6);
    channel.close();
  } finally {
    agent.destroy();
    await server.close({ graceMs: 500 });
  }
  await assertNoLeaks();
});
