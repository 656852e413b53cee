// Transparent retry (gRFC A6) of streams a raw HTTP/2 server never
// processed, as Node's http2 client reports them: a REFUSED_STREAM reset, a
// stream above the last-stream-id of a GOAWAY (with NO_ERROR or an error
// code), and one whose connection failed before it was sent. Needs no
// retry policy; happens once per call.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import * as net from "node:net";
import { Code, RpcError, createChannel, createClient } from "../../src/index.js";
import { EchoService } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { frame } from "./raw-http2.js";
import { ErrorCode, Flag, FrameType, goawayFrame, grpcResponseFrames, startRawServer as startFrameServer, type RawConnection } from "./h2-frames.js";
import { assertNoLeaks } from "./leak-check.js";

type Behaviour = (stream: http2.ServerHttp2Stream, n: number, headers: http2.IncomingHttpHeaders) => void;

function answer(stream: http2.ServerHttp2Stream): void {
  stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
  stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
  stream.end(frame(new Uint8Array(0)));
}

/** A raw HTTP/2 server that treats its n-th stream (1-based, across connections) with `behaviour`. */
async function startRawServer(behaviour: Behaviour, onSession?: (session: http2.ServerHttp2Session, n: number) => void) {
  const server = http2.createServer();
  const seen: http2.IncomingHttpHeaders[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  let sessionCount = 0;
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
    s.on("error", () => undefined);
    onSession?.(s, ++sessionCount);
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => undefined);
    seen.push(headers);
    // Let the request finish arriving first.
    stream.resume();
    stream.on("end", () => behaviour(stream, seen.length, headers));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function unaryCall(port: number, enableRetries = true) {
  const channel = createChannel(`http://127.0.0.1:${port}`, { enableRetries });
  try {
    return await createClient(EchoService, channel).unary({ tag: "t" }, { timeoutMs: 5000 });
  } finally {
    channel.close();
  }
}

test("a REFUSED_STREAM reset is retried once, without a retry policy and without grpc-previous-rpc-attempts", async () => {
  const s = await startRawServer((stream, n) => (n === 1 ? stream.close(http2.constants.NGHTTP2_REFUSED_STREAM) : answer(stream)));
  await unaryCall(s.port);
  assert.equal(s.seen.length, 2);
  assert.equal(s.seen[1]!["grpc-previous-rpc-attempts"], undefined);
  await s.close();
  await assertNoLeaks();
});

test("transparent retry happens once per call: a second refusal is the call's UNAVAILABLE", async () => {
  const s = await startRawServer((stream) => stream.close(http2.constants.NGHTTP2_REFUSED_STREAM));
  await assert.rejects(unaryCall(s.port), (e: unknown) => e instanceof RpcError && e.code === Code.UNAVAILABLE);
  assert.equal(s.seen.length, 2);
  await s.close();
});

// The first connection is told GOAWAY(last-stream-id 0) as it opens. The
// channel waits for the server's SETTINGS before it sends, so the call goes
// on a new connection without crossing the GOAWAY. Streams that do cross
// one (sent before the GOAWAY arrived) are below, with a server of raw
// frames: node:http2's `session.goaway(code, 0)` cannot make one, as Node
// replaces a last-stream-id of 0 with the last stream the session received.
test("a connection told GOAWAY with NO_ERROR as it opens takes no call: the call goes on a new connection", async () => {
  const s = await startRawServer(answer, (session, n) => {
    if (n === 1) session.goaway(http2.constants.NGHTTP2_NO_ERROR, 0);
  });
  await unaryCall(s.port);
  assert.equal(s.seen.length, 1);
  await s.close();
});

test("a connection told GOAWAY with an error code as it opens takes no call either", async () => {
  const s = await startRawServer(answer, (session, n) => {
    if (n === 1) session.goaway(http2.constants.NGHTTP2_INTERNAL_ERROR, 0);
  });
  await unaryCall(s.port);
  assert.equal(s.seen.length, 1);
  await s.close();
});

test("a stream at or below the last-stream-id was processed: not retried", async () => {
  const s = await startRawServer((stream, n) => {
    if (n === 1) {
      stream.session!.goaway(http2.constants.NGHTTP2_INTERNAL_ERROR, stream.id!);
    } else answer(stream);
  });
  await assert.rejects(unaryCall(s.port), (e: unknown) => e instanceof RpcError && e.code === Code.UNAVAILABLE && /GOAWAY \(INTERNAL_ERROR\)/.test(e.rawMessage));
  assert.equal(s.seen.length, 1);
  await s.close();
});

test("node:http2's session.goaway(NO_ERROR, 0) while it holds a stream keeps that stream (Node sends its id as the last-stream-id): the call finishes there", async () => {
  const s = await startRawServer((stream, n) => {
    if (n !== 1) return answer(stream);
    stream.session!.goaway(http2.constants.NGHTTP2_NO_ERROR, 0);
    setTimeout(() => answer(stream), 20);
  });
  await unaryCall(s.port);
  assert.equal(s.seen.length, 1);
  await s.close();
});

test("with enableRetries: false a refused stream fails the call", async () => {
  const s = await startRawServer((stream, n) => (n === 1 ? stream.close(http2.constants.NGHTTP2_REFUSED_STREAM) : answer(stream)));
  await assert.rejects(unaryCall(s.port, false), (e: unknown) => e instanceof RpcError && e.code === Code.UNAVAILABLE && /REFUSED_STREAM/.test(e.rawMessage));
  assert.equal(s.seen.length, 1);
  await s.close();
});

test("a connection that fails before the stream is sent is retried once, then the call fails (no loop)", async () => {
  const free = net.createServer();
  await new Promise<void>((resolve) => free.listen(0, "127.0.0.1", resolve));
  const port = (free.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => free.close(() => resolve()));
  await assert.rejects(unaryCall(port), (e: unknown) => e instanceof RpcError && e.code === Code.UNAVAILABLE && /refused/.test(e.message));
  await assertNoLeaks();
});

test("a connection lost before the server's SETTINGS arrived: no stream was sent; a waitForReady call goes on the next connection", async () => {
  const h2 = http2.createServer();
  let streams = 0;
  h2.on("stream", (stream) => {
    streams++;
    stream.on("error", () => undefined);
    stream.resume();
    stream.on("end", () => answer(stream));
  });
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    // The first connection dies before the server says anything; the next ones are served.
    if (++connections === 1) socket.destroy();
    else h2.emit("connection", socket);
  });
  await new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", resolve));
  const port = (tcp.address() as net.AddressInfo).port;
  // The call waits for a READY connection (after the server's SETTINGS), so nothing was sent on the
  // lost one. As in every gRPC, a call that does not wait for ready fails when the channel cannot
  // connect (TRANSIENT_FAILURE); one that waits is placed on the next connection after the backoff.
  const channel = createChannel(`http://127.0.0.1:${port}`);
  await createClient(EchoService, channel).unary({ tag: "t" }, { timeoutMs: 5000, waitForReady: true });
  channel.close();
  assert.equal(connections, 2);
  assert.equal(streams, 1);
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => tcp.close(() => resolve()));
  await assertNoLeaks();
});

/**
 * A server of raw frames that answers each request it receives (counted
 * across connections, once its request stream has ended) with `odd` when it
 * is the 1st, 3rd... and with a response when it is the 2nd, 4th...
 */
async function startCrossingServer(odd: (conn: RawConnection, streamId: number) => void) {
  let requests = 0;
  const requestBytes: number[] = [];
  const server = await startFrameServer((conn) => {
    const bytes = new Map<number, number>();
    conn.onFrame((f) => {
      if (f.type !== FrameType.HEADERS && f.type !== FrameType.DATA) return;
      bytes.set(f.streamId, (bytes.get(f.streamId) ?? 0) + (f.type === FrameType.DATA ? f.payload.byteLength : 0));
      if (!(f.flags & Flag.END_STREAM)) return;
      requestBytes.push(bytes.get(f.streamId)!);
      if (++requests % 2 === 1) odd(conn, f.streamId);
      else conn.send(...grpcResponseFrames(f.streamId, frame(new Uint8Array(0))));
    });
  });
  return {
    port: server.port,
    get connections() {
      return server.connections;
    },
    get requests() {
      return requests;
    },
    /** The DATA bytes of each request, in the order the requests ended. */
    requestBytes,
    close: () => server.close(),
  };
}

/** A GOAWAY frame with debug data. */
function goawayWithDebugData(lastStreamId: number, errorCode: number, debug: string): Buffer {
  const frame = goawayFrame(lastStreamId, errorCode);
  const out = Buffer.concat([frame, Buffer.from(debug, "latin1")]);
  out.writeUIntBE(8 + Buffer.byteLength(debug, "latin1"), 0, 3);
  return out;
}

const crossingGoaways = [
  ["NO_ERROR", goawayFrame(0, ErrorCode.NO_ERROR), /the server sent GOAWAY \(NO_ERROR\) before it processed the stream/],
  ["INTERNAL_ERROR", goawayFrame(0, ErrorCode.INTERNAL_ERROR), /the server sent GOAWAY \(INTERNAL_ERROR\) before it processed the stream/],
  [
    "ENHANCE_YOUR_CALM and debug data",
    goawayWithDebugData(0, ErrorCode.ENHANCE_YOUR_CALM, "overloaded"),
    /the server sent GOAWAY \(ENHANCE_YOUR_CALM "overloaded"\) before it processed the stream/,
  ],
] as const;

/** UNAVAILABLE that says why, not the call's deadline: the client knew at once that the stream was never processed. */
function unavailableAtOnce(why: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof RpcError, String(e));
    assert.equal(Code[e.code], "UNAVAILABLE", e.message);
    assert.match(e.rawMessage, why);
    return true;
  };
}

for (const [name, goaway, why] of crossingGoaways) {
  test(`a stream above the last-stream-id of a GOAWAY with ${name} was never processed: retried on a new connection`, async () => {
    const s = await startCrossingServer((conn) => conn.send(goaway));
    const channel = createChannel(`http://127.0.0.1:${s.port}`);
    try {
      await createClient(EchoService, channel).unary({ tag: "t" }, { timeoutMs: 10_000 });
      assert.equal(s.requests, 2);
      assert.equal(s.connections, 2);
    } finally {
      channel.close();
      await s.close();
    }
    await assertNoLeaks();
  });

  test(`with enableRetries: false a stream above the last-stream-id of a GOAWAY with ${name} fails UNAVAILABLE, not at its deadline`, async () => {
    const s = await startCrossingServer((conn) => conn.send(goaway));
    const channel = createChannel(`http://127.0.0.1:${s.port}`, { enableRetries: false });
    try {
      await assert.rejects(createClient(EchoService, channel).unary({ tag: "t" }, { timeoutMs: 10_000 }), unavailableAtOnce(why));
      assert.equal(s.requests, 1);
    } finally {
      channel.close();
      await s.close();
    }
    await assertNoLeaks();
  });
}

test("a server-streaming call whose stream crossed a GOAWAY is retried", async () => {
  const s = await startCrossingServer((conn) => conn.send(goawayFrame(0, ErrorCode.NO_ERROR)));
  const channel = createChannel(`http://127.0.0.1:${s.port}`);
  try {
    const got = [];
    for await (const m of createClient(EchoService, channel).serverStream({ tag: "t" }, { timeoutMs: 10_000 })) got.push(m);
    assert.equal(got.length, 1);
    assert.equal(s.requests, 2);
  } finally {
    channel.close();
    await s.close();
  }
});

test("a client-streaming call whose stream crossed a GOAWAY after its last message is retried with every message", async () => {
  const s = await startCrossingServer((conn) => conn.send(goawayFrame(0, ErrorCode.ENHANCE_YOUR_CALM)));
  const channel = createChannel(`http://127.0.0.1:${s.port}`);
  async function* three() {
    for (let i = 0; i < 3; i++) yield { tag: `m${i}` };
  }
  try {
    await createClient(EchoService, channel).clientStream(three(), { timeoutMs: 10_000 });
    assert.equal(s.requests, 2);
    assert.ok(s.requestBytes[0]! > 0);
    assert.deepEqual(s.requestBytes[1], s.requestBytes[0]);
  } finally {
    channel.close();
    await s.close();
  }
});

test("grpc-go's and the C core's graceful GOAWAY (the largest stream id, then the last one taken): a stream above the second is retried", async () => {
  const s = await startCrossingServer((conn) => {
    conn.send(goawayFrame(0x7fffffff, ErrorCode.NO_ERROR));
    setTimeout(() => conn.send(goawayFrame(0, ErrorCode.NO_ERROR)), 10);
  });
  const channel = createChannel(`http://127.0.0.1:${s.port}`);
  try {
    await createClient(EchoService, channel).unary({ tag: "t" }, { timeoutMs: 10_000 });
    assert.equal(s.requests, 2);
  } finally {
    channel.close();
    await s.close();
  }
});

test("of two streams on a connection, the one at the last-stream-id is answered there and the one above it retried", async () => {
  // The first connection holds stream 1 unanswered until stream 3 arrives, then says GOAWAY(1) and answers 1.
  let firstConnection: RawConnection | undefined;
  const answered: number[] = [];
  let firstArrived!: () => void;
  const firstRequest = new Promise<void>((resolve) => (firstArrived = resolve));
  const server = await startFrameServer((conn) => {
    firstConnection ??= conn;
    conn.onFrame((f) => {
      if (f.type !== FrameType.HEADERS && f.type !== FrameType.DATA) return;
      if (!(f.flags & Flag.END_STREAM)) return;
      if (conn === firstConnection && f.streamId === 1) firstArrived();
      if (conn !== firstConnection) {
        conn.send(...grpcResponseFrames(f.streamId, frame(new Uint8Array(0))));
        return;
      }
      if (f.streamId !== 3) return;
      conn.send(goawayFrame(1, ErrorCode.NO_ERROR));
      conn.send(...grpcResponseFrames(1, frame(new Uint8Array(0))));
      answered.push(1);
    });
  });
  const channel = createChannel(`http://127.0.0.1:${server.port}`);
  const client = createClient(EchoService, channel);
  try {
    const first = client.unary({ tag: "a" }, { timeoutMs: 10_000 });
    await firstRequest;
    await Promise.all([first, client.unary({ tag: "b" }, { timeoutMs: 10_000 })]);
    assert.deepEqual(answered, [1]);
    assert.equal(server.connections, 2);
  } finally {
    channel.close();
    await server.close();
  }
  await assertNoLeaks();
});

test("a transparent retry after a GOAWAY is not counted against the retry policy: neither in maxAttempts nor in grpc-previous-rpc-attempts", async () => {
  // The first connection goes to a server of raw frames that answers the call's first stream with
  // GOAWAY(0); the next ones to a node:http2 server whose first stream fails UNAVAILABLE and second succeeds.
  const raw = await startFrameServer((conn) =>
    conn.onFrame((f) => {
      if (f.type === FrameType.HEADERS) conn.send(goawayFrame(0, ErrorCode.NO_ERROR));
    }),
  );
  const node = await startRawServer((stream, n) => {
    if (n === 1) stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": String(Code.UNAVAILABLE) }, { endStream: true });
    else answer(stream);
  });
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const front = net.createServer((socket) => {
    const upstream = net.connect(++connections === 1 ? raw.port : node.port, "127.0.0.1");
    for (const s of [socket, upstream]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => {
        sockets.delete(s);
        socket.destroy();
        upstream.destroy();
      });
    }
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
  const serviceConfig = {
    methodConfig: [
      {
        name: [{ service: EchoService.typeName }],
        retryPolicy: { maxAttempts: 2, initialBackoff: "0.01s", maxBackoff: "0.01s", backoffMultiplier: 1, retryableStatusCodes: ["UNAVAILABLE" as const] },
      },
    ],
  };
  const channel = createChannel(`http://127.0.0.1:${(front.address() as net.AddressInfo).port}`, { serviceConfig });
  try {
    await createClient(EchoService, channel).unary({ tag: "t" }, { timeoutMs: 10_000 });
    assert.equal(connections, 2);
    assert.deepEqual(
      node.seen.map((h) => h["grpc-previous-rpc-attempts"]),
      [undefined, "1"],
    );
  } finally {
    channel.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => front.close(() => resolve()));
    await raw.close();
    await node.close();
  }
  await assertNoLeaks();
});
