// Call credentials: per-call metadata from async functions, composed with TLS
// channel credentials, refused on plain text unless explicitly allowed.
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import {
  Code,
  RpcError,
  createChannel,
  createClient,
  createServer,
  type CallCredentials,
  type ChannelOptions,
  type Interceptor,
  type Metadata,
  type Server,
  type Channel,
} from "../../src/index.js";
import { EchoService } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { callKind, kinds, rejection, textEcho } from "./interceptor-helpers.js";
import { testPki } from "./test-certs.js";
import { assertNoLeaks } from "./leak-check.js";

const pki = testPki();
const servers: Server[] = [];
const channels: Channel[] = [];

/** A server (TLS unless `plain`) that records the request metadata of every call. */
async function recordingServer(plain = false) {
  const seen: Metadata[] = [];
  const server = createServer().service(EchoService, textEcho((_k, ctx) => seen.push(ctx.metadata)));
  servers.push(server);
  const { port } = await server.listen(plain ? { host: "127.0.0.1", port: 0 } : { host: "127.0.0.1", port: 0, tls: pki.server });
  return { port, seen };
}

function open(url: string, options: ChannelOptions) {
  const channel = createChannel(url, options);
  channels.push(channel);
  return createClient(EchoService, channel);
}

after(async () => {
  for (const c of channels) c.close();
  for (const s of servers) await s.close({ graceMs: 500 });
  await assertNoLeaks();
});

describe("call credentials", { timeout: 30_000 }, () => {
  test("over TLS: made per call (a refreshed token each time), on all four kinds, with the service URL", async () => {
    const { port, seen } = await recordingServer();
    let n = 0;
    const urls: string[] = [];
    const creds: CallCredentials = async ({ serviceUrl, method }) => {
      urls.push(`${serviceUrl} ${method.name}`);
      await sleep(1);
      return { authorization: `Bearer token-${++n}` };
    };
    const client = open(`https://127.0.0.1:${port}`, { tls: { ca: pki.ca }, callCredentials: creds });
    for (const kind of kinds) await callKind(client, kind, "c");
    assert.deepEqual(seen.map((m) => m.get("authorization")), ["Bearer token-1", "Bearer token-2", "Bearer token-3", "Bearer token-4"]);
    assert.deepEqual(urls, [
      `https://127.0.0.1:${port}/tsgrpc.test.v1.EchoService Unary`,
      `https://127.0.0.1:${port}/tsgrpc.test.v1.EchoService ServerStream`,
      `https://127.0.0.1:${port}/tsgrpc.test.v1.EchoService ClientStream`,
      `https://127.0.0.1:${port}/tsgrpc.test.v1.EchoService Bidi`,
    ]);
  });

  test("compose: several on the channel, then one on the call, all sent, in order; interceptors never see them", async () => {
    const { port, seen } = await recordingServer();
    const interceptorSaw: (string | undefined)[] = [];
    const peek: Interceptor = (next) => (req) => {
      interceptorSaw.push(req.header.get("authorization"));
      return next(req);
    };
    const client = open(`https://localhost:${port}`, {
      tls: { ca: pki.ca },
      interceptors: [peek],
      callCredentials: [() => ({ authorization: "Bearer channel" }), async () => ({ "x-api-key": "k1", "x-trace-bin": new Uint8Array([1, 2]) })],
    });
    await client.unary({}, { callCredentials: () => ({ "x-api-key": "k2" }), metadata: { "x-user": "u" } });
    const md = seen[0]!;
    assert.equal(md.get("authorization"), "Bearer channel");
    // HTTP/2 may join repeated values with ", ".
    assert.equal(md.getAll("x-api-key").join(", "), "k1, k2");
    assert.deepEqual(md.get("x-trace-bin"), new Uint8Array([1, 2]));
    assert.equal(md.get("x-user"), "u");
    assert.deepEqual(interceptorSaw, [undefined]);
  });

  test("refused on plain text: a TypeError for the channel, UNAUTHENTICATED for a call; allowed when asked for", async () => {
    const { port, seen } = await recordingServer(true);
    const creds: CallCredentials = () => ({ authorization: "Bearer secret" });
    assert.throws(() => createChannel(`http://127.0.0.1:${port}`, { callCredentials: creds }), /only sent over TLS/);
    assert.throws(() => createChannel(`127.0.0.1:${port}`, { insecure: true, callCredentials: [creds] }), TypeError);
    assert.throws(() => createChannel(`unix:/tmp/x.sock`, { callCredentials: creds }), TypeError);
    const plain = open(`http://127.0.0.1:${port}`, {});
    for (const kind of kinds) {
      const e = await rejection(callKind(plain, kind, "x", { callCredentials: creds }));
      assert.equal(e.code, Code.UNAUTHENTICATED, kind);
      assert.match(e.rawMessage, /call credentials refused: the channel is plain text/);
    }
    assert.equal(seen.length, 0, "nothing was sent");
    const allowed = open(`http://127.0.0.1:${port}`, { callCredentials: creds, allowInsecureCallCredentials: true });
    await allowed.unary({}, { callCredentials: () => ({ "x-extra": "1" }) });
    assert.equal(seen[0]?.get("authorization"), "Bearer secret");
    assert.equal(seen[0]?.get("x-extra"), "1");
  });

  test("failures: a throwing function is UNAVAILABLE, an RpcError keeps its code, a slow one hits the deadline, an abort cancels", async () => {
    const { port, seen } = await recordingServer();
    const url = `https://127.0.0.1:${port}`;
    const tls = { ca: pki.ca };
    const e1 = await rejection(open(url, { tls, callCredentials: async () => { throw new Error("token service down"); } }).unary({}));
    assert.equal(e1.code, Code.UNAVAILABLE);
    assert.equal(e1.rawMessage, "call credentials failed: token service down");
    const e2 = await rejection(open(url, { tls, callCredentials: () => { throw new RpcError(Code.PERMISSION_DENIED, "no token for you"); } }).unary({}));
    assert.equal(e2.code, Code.PERMISSION_DENIED);
    const never: CallCredentials = ({ signal }) => new Promise((_, reject) => signal?.addEventListener("abort", () => reject(new Error("aborted"))));
    const started = Date.now();
    const e3 = await rejection(open(url, { tls, callCredentials: never }).unary({}, { timeoutMs: 150 }));
    assert.equal(e3.code, Code.DEADLINE_EXCEEDED);
    assert.ok(Date.now() - started < 2000);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const e4 = await rejection(open(url, { tls, callCredentials: never }).unary({}, { signal: ac.signal }));
    assert.equal(e4.code, Code.CANCELLED);
    const e5 = await rejection(open(url, { tls, callCredentials: () => ({ "Bad Key": "x" }) }).unary({}));
    assert.equal(e5.code, Code.UNAVAILABLE);
    assert.match(e5.rawMessage, /metadata key "Bad Key" is invalid/);
    assert.equal(seen.length, 0);
  });

  test("with mTLS channel credentials: both the certificate and the token reach the server", async () => {
    const identities: string[] = [];
    const server = createServer().service(EchoService, textEcho((_k, ctx) => identities.push(`${ctx.tls?.certificate?.commonName} ${ctx.metadata.get("authorization")}`)));
    servers.push(server);
    const { port } = await server.listen({ host: "127.0.0.1", port: 0, tls: { ...pki.server, ca: pki.ca, requireClientCert: true } });
    await open(`https://127.0.0.1:${port}`, { tls: { ca: pki.ca, ...pki.client }, callCredentials: () => ({ authorization: "Bearer t" }) }).unary({});
    assert.deepEqual(identities, ["alice Bearer t"]);
  });
});
