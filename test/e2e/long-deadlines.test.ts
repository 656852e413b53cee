// Deadlines further away than a Node timer can hold (2^31 − 1 ms, about
// 24.8 days) are legal gRPC (up to 99,999,999 hours) and mean "far away",
// not "now": on both sides.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { setTimeout as sleep } from "node:timers/promises";
import { createChannel, createClient, createServer } from "../../src/index.js";
import { EchoService } from "./echo-service.js";
import { assertNoLeaks } from "./leak-check.js";

const day = 24 * 3600 * 1000;

test("a client call with a 30-day timeout runs, and the server sees that deadline", async () => {
  let remaining: number | undefined;
  const server = createServer().service(EchoService, {
    async unary(_req, ctx) {
      await sleep(30);
      remaining = ctx.timeRemainingMs();
      return {};
    },
  });
  const { port } = await server.listen("127.0.0.1:0");
  const channel = createChannel(`http://127.0.0.1:${port}`);
  try {
    await createClient(EchoService, channel).unary({}, { timeoutMs: 30 * day });
    assert.ok(remaining !== undefined && remaining > 29 * day, `remaining ${remaining}`);
  } finally {
    channel.close();
    await server.close({ graceMs: 100 });
  }
  await assertNoLeaks();
});

test("grpc-timeout values past a timer's range do not expire at once", async () => {
  const server = createServer().service(EchoService, {
    async unary() {
      await sleep(30);
      return {};
    },
  });
  const { port } = await server.listen("127.0.0.1:0");
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    for (const timeout of ["2400H", "99999999H", "2147484S"]) {
      const status = await new Promise<string | undefined>((resolve, reject) => {
        const req = session.request({ ":method": "POST", ":path": "/tsgrpc.test.v1.EchoService/Unary", "content-type": "application/grpc", te: "trailers", "grpc-timeout": timeout });
        let got: string | undefined;
        req.on("response", (h) => (got = h["grpc-status"] as string | undefined));
        req.on("trailers", (t) => (got = t["grpc-status"] as string | undefined));
        req.on("data", () => {});
        req.on("close", () => resolve(got));
        req.on("error", reject);
        req.end(Buffer.alloc(5));
      });
      assert.equal(status, "0", `grpc-timeout: ${timeout}`);
    }
  } finally {
    session.close();
    await server.close({ graceMs: 100 });
  }
  await assertNoLeaks();
});
