// A client that cancels while sending a request stream: the handler must see
// CANCELLED, never a request stream that looks complete.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, RpcError, createChannel, createClient, createServer, createWritableIterable } from "../../src/index.js";
import { EchoService } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { rejection } from "./interceptor-helpers.js";
import { assertNoLeaks } from "./leak-check.js";

test("cancelling a client-streaming or bidi call mid-upload fails the handler's request stream with CANCELLED", { timeout: 20_000 }, async () => {
  const outcomes: string[] = [];
  const watch = async (reqs: AsyncIterable<unknown>) => {
    let n = 0;
    try {
      for await (const _ of reqs) n++;
      outcomes.push(`complete after ${n}`);
    } catch (e) {
      outcomes.push(`${e instanceof RpcError ? Code[e.code] : String(e)} after ${n}`);
      throw e;
    }
  };
  const server = createServer().service(EchoService, {
    async clientStream(reqs) {
      await watch(reqs);
      return {};
    },
    async *bidi(reqs) {
      yield {};
      await watch(reqs);
    },
  });
  const { port } = await server.listen("127.0.0.1:0");
  const channel = createChannel(`http://127.0.0.1:${port}`);
  const client = createClient(EchoService, channel);

  for (const kind of ["clientStream", "bidi"] as const) {
    const ac = new AbortController();
    const requests = createWritableIterable<{}>();
    const call =
      kind === "clientStream"
        ? client.clientStream(requests, { signal: ac.signal })
        : (async () => {
            for await (const _ of client.bidi(requests, { signal: ac.signal })) void _;
          })();
    await requests.write({});
    await requests.write({});
    await sleep(50);
    ac.abort();
    assert.equal((await rejection(call)).code, Code.CANCELLED);
    for (let i = 0; i < 100 && outcomes.length === 0; i++) await sleep(10);
    assert.deepEqual(outcomes.splice(0), ["CANCELLED after 2"], kind);
  }
  channel.close();
  await server.close();
  await assertNoLeaks();
});
