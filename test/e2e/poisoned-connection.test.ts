// A connection that a protocol error has killed is never used again: one
// malformed frame from a server that keeps its socket open must not leave a
// channel sending every later call into a dead session.
import { test } from "node:test";
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, RpcError, createChannel, createClient } from "../../src/index.js";
import { EchoResponseSchema } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { EchoService } from "./echo-service.js";
import { ErrorCode, FrameType, encodeFrame, grpcResponseFrames, headersFrame, startRawServer, type RawConnection } from "./h2-frames.js";
import { frame } from "./raw-http2.js";
import { assertNoLeaks } from "./leak-check.js";

const okMessage = frame(toBinary(EchoResponseSchema, create(EchoResponseSchema, { index: 7 })));

/** The first connection answers each call with `poison`; later ones answer properly. */
async function poisoningServer(poison: (conn: RawConnection, streamId: number) => void) {
  let n = 0;
  let firstGotHeaders = false;
  const server = await startRawServer((conn) => {
    const first = n++ === 0;
    conn.onFrame((f) => {
      if (f.type !== FrameType.HEADERS) return;
      if (first) {
        firstGotHeaders = true;
        poison(conn, f.streamId);
      } else conn.send(...grpcResponseFrames(f.streamId, okMessage));
    });
  });
  return {
    port: server.port,
    close: () => server.close(),
    get connections() {
      return server.connections;
    },
    get firstGotHeaders() {
      return firstGotHeaders;
    },
  };
}

const poisons: Record<string, (conn: RawConnection, streamId: number) => void> = {
  // HPACK index 0 does not exist (RFC 7541 §6.1): a connection error, COMPRESSION_ERROR.
  "invalid HPACK": (conn, id) => conn.send(headersFrame(id, Buffer.of(0x80))),
  // A frame on stream 0 that belongs to a stream: PROTOCOL_ERROR for the connection.
  "DATA on stream 0": (conn) => conn.send(encodeFrame(FrameType.DATA, 0, 0, Buffer.from("x"))),
  // A WINDOW_UPDATE that overflows the connection window: FLOW_CONTROL_ERROR.
  "window overflow": (conn) => {
    const payload = Buffer.alloc(4);
    payload.writeUInt32BE(0x7fffffff, 0);
    conn.send(encodeFrame(FrameType.WINDOW_UPDATE, 0, 0, payload));
  },
};

for (const [name, poison] of Object.entries(poisons)) {
  test(`after ${name}, calls fail with UNAVAILABLE, not at their deadline, and the channel reconnects`, { timeout: 20_000 }, async () => {
    const server = await poisoningServer(poison);
    const channel = createChannel(`http://127.0.0.1:${server.port}`);
    const client = createClient(EchoService, channel);
    const notHung = (started: number) => (e: unknown) => {
      assert.ok(e instanceof RpcError, String(e));
      assert.notEqual(e.code, Code.DEADLINE_EXCEEDED, `the call hung until its deadline (${Date.now() - started} ms)`);
      assert.equal(Code[e.code], Code[Code.UNAVAILABLE], e.rawMessage);
      return true;
    };
    try {
      const started = Date.now();
      // The call the server poisons, in flight on the dead session...
      const poisoned = assert.rejects(client.unary({}, { timeoutMs: 10_000 }), notHung(started));
      await waitUntil(() => server.connections === 1 && server.firstGotHeaders);
      // ...and one made after that: a session Node left open refuses it without a word to the
      // server (a session Node closed itself sends it on a new connection).
      await client.unary({}, { timeoutMs: 10_000 }).then(
        (r) => assert.equal(r.index, 7),
        (e) => notHung(started)(e),
      );
      await poisoned;
      // The channel has moved on to a new connection.
      const res = await client.unary({}, { timeoutMs: 10_000 });
      assert.equal(res.index, 7);
      assert.equal(server.connections, 2);
    } finally {
      channel.close();
      await server.close();
    }
    await assertNoLeaks();
  });
}

async function waitUntil(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(ok(), "the server never saw the call");
  // Let the poison reach the client.
  await new Promise((r) => setTimeout(r, 100));
}

test("the GOAWAY a protocol error makes Node send is seen by the server", { timeout: 20_000 }, async () => {
  let goaway: Promise<unknown> | undefined;
  const server = await poisoningServer((conn, id) => {
    goaway ??= conn.waitFor((f) => f.type === FrameType.GOAWAY);
    conn.send(headersFrame(id, Buffer.of(0x80)));
  });
  const channel = createChannel(`http://127.0.0.1:${server.port}`);
  try {
    await assert.rejects(createClient(EchoService, channel).unary({}, { timeoutMs: 1000 }));
    const f = (await goaway) as { payload: Buffer };
    assert.equal(f.payload.readUInt32BE(4), ErrorCode.COMPRESSION_ERROR);
  } finally {
    channel.close();
    await server.close();
  }
});
