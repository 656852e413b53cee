// Servers that rotate connections (max connection age) and refuse streams:
// calls must not be lost in the race between a GOAWAY and new streams.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createChannel, createClient } from "../../src/index.js";
import { EchoService } from "./echo-service.js";
import { startGrpcJsEchoServer } from "../peers/grpc-js-echo.js";
import { assertNoLeaks } from "./leak-check.js";

test("a grpc-js server with max_connection_age_ms 300: eight calling loops for 3 s lose no call", { timeout: 30_000 }, async () => {
  const peer = await startGrpcJsEchoServer({ "grpc.max_connection_age_ms": 300, "grpc.max_connection_age_grace_ms": 5000 });
  const channel = createChannel(`http://127.0.0.1:${peer.port}`);
  const client = createClient(EchoService, channel);
  const until = Date.now() + 3000;
  const failures: string[] = [];
  let calls = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (Date.now() < until) {
        calls++;
        try {
          await client.unary({ payload: new Uint8Array([1]) }, { timeoutMs: 5000 });
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    }),
  );
  assert.ok(calls > 100, `only ${calls} calls`);
  assert.deepEqual(failures, [], `${failures.length} of ${calls} calls failed`);
  channel.close();
  await peer.close();
  await assertNoLeaks();
});
