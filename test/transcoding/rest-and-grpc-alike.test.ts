// One handler, called by gRPC (tsgrpc's client over HTTP/2) and by REST
// (HTTP/1.1 and HTTP/2): the same interceptors run with the same metadata,
// can refuse the call the same way, and deadlines end both alike, with
// the handler's signal firing.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, RpcError, createChannel, createClient, createServer, type Interceptor, type ServiceImpl } from "../../src/index.js";
import { Messaging } from "../gen/tsgrpc/transcoding/v1/messaging_pb.js";
import { assertNoLeaks } from "../e2e/leak-check.js";
import { http1Request, http2Request, type TestRequest, type TestResponse } from "./http-clients.js";

interface Seen {
  method: string;
  authorization: string | undefined;
  deadline: boolean;
  aborted?: string;
}

test("REST and gRPC: same interceptors, same refusals, same deadlines", async () => {
  const seen: Seen[] = [];
  const auth: Interceptor = (next) => async (req) => {
    const authorization = req.header.get("authorization") ?? undefined;
    seen.push({ method: req.method.name, authorization, deadline: req.deadline !== undefined });
    if (authorization !== "Bearer ok") throw new RpcError(Code.UNAUTHENTICATED, "no valid token");
    return next(req);
  };
  const impl: ServiceImpl<typeof Messaging> = {
    async getMessage(req, ctx) {
      if (req.messageId === "slow") {
        // Runs past any deadline; reports how its signal ended.
        await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
        seen[seen.length - 1]!.aborted = (ctx.signal.reason as RpcError).code === Code.DEADLINE_EXCEEDED ? "deadline" : String(ctx.signal.reason);
        throw ctx.signal.reason;
      }
      return { messageId: req.messageId, text: `hello ${ctx.metadata.get("x-who")}` };
    },
  };
  const server = createServer({ interceptors: [auth] }).service(Messaging, impl);
  const { port } = await server.listen("127.0.0.1:0");
  const channel = createChannel(`http://127.0.0.1:${port}`);
  const client = createClient(Messaging, channel);
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", () => {});
  try {
    const rest: [string, (r: TestRequest) => Promise<TestResponse>][] = [
      ["REST/HTTP1.1", (r) => http1Request(port, r)],
      ["REST/HTTP2", (r) => http2Request(session, r)],
    ];
    // gRPC: OK, refused, deadline.
    const ok = await client.getMessage({ messageId: "a" }, { metadata: { authorization: "Bearer ok", "x-who": "grpc" } });
    assert.equal(ok.text, "hello grpc");
    await assert.rejects(client.getMessage({ messageId: "a" }), (e: unknown) => e instanceof RpcError && e.code === Code.UNAUTHENTICATED);
    await assert.rejects(client.getMessage({ messageId: "slow" }, { metadata: { authorization: "Bearer ok" }, timeoutMs: 100 }), (e: unknown) => e instanceof RpcError && e.code === Code.DEADLINE_EXCEEDED);
    for (const [name, send] of rest) {
      const good = await send({ method: "GET", path: "/v1/messages/a", headers: { authorization: "Bearer ok", "x-who": "rest" } });
      assert.equal(good.status, 200, name);
      assert.equal(JSON.parse(good.text).text, "hello rest", name);
      const refused = await send({ method: "GET", path: "/v1/messages/a" });
      assert.equal(refused.status, 401, name);
      assert.deepEqual(JSON.parse(refused.text), { code: Code.UNAUTHENTICATED, message: "no valid token", details: [] });
      const late = await send({ method: "GET", path: "/v1/messages/slow", headers: { authorization: "Bearer ok", "grpc-timeout": "100m" } });
      assert.equal(late.status, 504, name);
      assert.equal(JSON.parse(late.text).code, Code.DEADLINE_EXCEEDED, name);
    }
    // Let the handlers of the expired calls finish.
    await sleep(50);
    const grpcSeen = seen.slice(0, 3);
    const restSeen = [seen.slice(3, 6), seen.slice(6, 9)];
    for (const r of restSeen) assert.deepEqual(r, grpcSeen, "the interceptor and the handler saw the same calls over REST as over gRPC");
    assert.deepEqual(grpcSeen, [
      { method: "GetMessage", authorization: "Bearer ok", deadline: false },
      { method: "GetMessage", authorization: undefined, deadline: false },
      { method: "GetMessage", authorization: "Bearer ok", deadline: true, aborted: "deadline" },
    ]);
  } finally {
    session.close();
    channel.close();
    await server.close({ graceMs: 500 });
  }
  await assertNoLeaks();
});
