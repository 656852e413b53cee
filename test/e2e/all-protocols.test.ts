// One server, one handler, every protocol: gRPC (HTTP/2), Connect (HTTP/2
// channel, and fetch over HTTP/1.1), gRPC-Web (fetch over HTTP/1.1). Server
// and client interceptors, metadata, deadlines, cancellation and errors must
// behave the same whichever protocol carries the call.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, RpcError, createChannel, createClient, createConnectChannel, createServer, type Interceptor, type Server, type Transport } from "../../src/index.js";
import { createConnectTransport, createGrpcWebTransport } from "../../src/web/index.js";
import { EchoService } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { assertNoLeaks } from "./leak-check.js";

describe("the same handler over gRPC, gRPC-Web and Connect", () => {
  let server: Server;
  let port: number;
  const served: string[] = [];
  const aborted = new Map<string, Code>();
  const closers: (() => void)[] = [];

  /** Refuses calls without a token; tags every response. */
  const auth: Interceptor = (next) => async (req) => {
    if (req.header.get("authorization") !== "Bearer ok") throw new RpcError(Code.UNAUTHENTICATED, "no token");
    const res = await next(req);
    res.header.set("x-served-by", "tsgrpc");
    return res;
  };

  before(async () => {
    server = createServer({ interceptors: [auth] }).service(EchoService, {
      async unary(req, ctx) {
        served.push(req.tag);
        ctx.responseTrailer.set("x-deadline-set", String(ctx.deadline !== undefined));
        if (req.sleepMs) {
          ctx.signal.addEventListener("abort", () => aborted.set(req.tag, (ctx.signal.reason as RpcError).code));
          await sleep(req.sleepMs, undefined, { signal: ctx.signal }).catch(() => undefined);
        }
        if (req.failCode) throw new RpcError(req.failCode as Code, req.failMessage);
        return { payload: req.payload };
      },
      async *serverStream(req) {
        for (let i = 0; i < req.responseCount; i++) yield { index: i };
      },
    });
    ({ port } = await server.listen("127.0.0.1:0"));
  });

  after(async () => {
    for (const c of closers) c();
    await server.close({ graceMs: 100 });
    await assertNoLeaks();
  });

  const clients: [string, () => Transport][] = [
    [
      "gRPC",
      () => {
        const c = createChannel(`http://127.0.0.1:${port}`);
        closers.push(() => c.close());
        return c;
      },
    ],
    [
      "Connect over HTTP/2",
      () => {
        const c = createConnectChannel(`http://127.0.0.1:${port}`);
        closers.push(() => c.close());
        return c;
      },
    ],
    ["Connect over fetch", () => createConnectTransport({ baseUrl: `http://127.0.0.1:${port}` })],
    ["gRPC-Web over fetch", () => createGrpcWebTransport({ baseUrl: `http://127.0.0.1:${port}` })],
  ];

  test("Connect channel: channel call credentials, allowed over plain text on request", async () => {
    const c = createConnectChannel(`http://127.0.0.1:${port}`, { callCredentials: () => ({ authorization: "Bearer ok" }), allowInsecureCallCredentials: true });
    closers.push(() => c.close());
    assert.deepEqual([...(await createClient(EchoService, c).unary({ payload: new Uint8Array([9]) })).payload], [9]);
    assert.throws(() => createConnectChannel(`http://127.0.0.1:${port}`, { callCredentials: () => ({}) }), TypeError);
  });

  for (const [name, transport] of clients) {
    test(name, async () => {
      const token: Interceptor = (next) => (req) => {
        req.header.set("authorization", "Bearer ok");
        return next(req);
      };
      const t = transport();
      const client = createClient(EchoService, t, { interceptors: [token] });
      let servedBy: string | undefined;
      let deadlineSet: string | undefined;
      const res = await client.unary(
        { payload: new Uint8Array([7]), tag: `${name} ok` },
        { timeoutMs: 5000, onHeader: (h) => (servedBy = h.get("x-served-by")), onTrailer: (t) => (deadlineSet = t.get("x-deadline-set")) },
      );
      assert.deepEqual([...res.payload], [7]);
      assert.equal(servedBy, "tsgrpc");
      assert.equal(deadlineSet, "true");
      const indexes: number[] = [];
      for await (const m of client.serverStream({ responseCount: 3 })) indexes.push(m.index);
      assert.deepEqual(indexes, [0, 1, 2]);

      // The server interceptor refuses a call without the token, before the handler.
      await assert.rejects(createClient(EchoService, t).unary({ tag: `${name} refused` }), (e) => e instanceof RpcError && e.code === Code.UNAUTHENTICATED && e.rawMessage === "no token");
      assert.ok(!served.includes(`${name} refused`));

      await assert.rejects(client.unary({ failCode: Code.ALREADY_EXISTS, failMessage: "twice" }), (e) => e instanceof RpcError && e.code === Code.ALREADY_EXISTS && e.rawMessage === "twice");

      // Per-call credentials are refused over plain text, whatever the protocol.
      await assert.rejects(client.unary({}, { callCredentials: () => ({ authorization: "Bearer ok" }) }), (e) => e instanceof RpcError && e.code === Code.UNAUTHENTICATED && /plain text/.test(e.rawMessage));

      const slow = `${name} slow`;
      await assert.rejects(client.unary({ sleepMs: 3000, tag: slow }, { timeoutMs: 150 }), (e) => e instanceof RpcError && e.code === Code.DEADLINE_EXCEEDED);
      for (let i = 0; i < 100 && !aborted.has(slow); i++) await sleep(10);
      assert.ok([Code.DEADLINE_EXCEEDED, Code.CANCELLED].includes(aborted.get(slow)!), `${slow}: ${aborted.get(slow)}`);
    });
  }
});
