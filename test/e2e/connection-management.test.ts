// The server's connection management over real sockets: keepalive
// enforcement, idle and age limits with graceful GOAWAY, grace periods,
// server keepalive, the handshake deadline, fatal GOAWAY, and the default
// stream limit.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { setTimeout as sleep } from "node:timers/promises";
import { toBinary, create } from "@bufbuild/protobuf";
import { Code, createChannel, createClient, createServer, RpcError, type Server, type ServerOptions } from "../../src/index.js";
import { serverInternals } from "../../src/server/server-internals.js";
import { EchoRequestSchema } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { EchoService, echoService } from "./echo-service.js";
import { frame, grpcHeaders } from "./raw-http2.js";
import { clientPreface, connectH2Socket, frameType, goawayOf, h2Frame } from "./h2-socket.js";
import { createGrpcJsEchoClient } from "../peers/grpc-js-echo.js";
import { assertNoLeaks } from "./leak-check.js";

const unaryPath = "/tsgrpc.test.v1.EchoService/Unary";

async function startServer(options: ServerOptions): Promise<{ server: Server; port: number; counters: ReturnType<typeof serverInternals>["connectionCounters"] }> {
  const server = createServer({ onHandlerError: () => {}, ...options }).service(EchoService, echoService());
  const { port } = await server.listen("127.0.0.1:0");
  return { server, port, counters: serverInternals(server, "test").connectionCounters };
}

interface Goaway {
  code: number;
  lastStreamId: number;
  debug: string;
}

/** A node:http2 client session that records the GOAWAYs it receives and when it closes. */
function connect(port: number): { session: http2.ClientHttp2Session; goaways: Goaway[]; closed: Promise<void> } {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  const goaways: Goaway[] = [];
  session.on("error", () => {});
  session.on("goaway", (code, lastStreamId, data) => goaways.push({ code, lastStreamId, debug: data?.toString("latin1") ?? "" }));
  const closed = new Promise<void>((resolve) => session.once("close", resolve));
  return { session, goaways, closed };
}

function rawUnary(session: http2.ClientHttp2Session, init: object = {}): Promise<string | undefined> {
  return new Promise((resolve) => {
    const stream = session.request(grpcHeaders(unaryPath));
    let status: string | undefined;
    stream.on("response", (h) => (status ??= h["grpc-status"] as string | undefined));
    stream.on("trailers", (t) => (status = t["grpc-status"] as string | undefined));
    stream.on("error", () => {});
    stream.resume();
    stream.on("close", () => resolve(status));
    stream.end(frame(toBinary(EchoRequestSchema, create(EchoRequestSchema, init))));
  });
}

const ping = (session: http2.ClientHttp2Session) => new Promise<boolean>((resolve) => session.ping((e) => resolve(!e)));

test("keepalive enforcement: a client that pings in a loop gets GOAWAY ENHANCE_YOUR_CALM too_many_pings, then the connection closes", { timeout: 20_000 }, async () => {
  const { server, port, counters } = await startServer({});
  const c = connect(port);
  await new Promise((resolve) => c.session.once("connect", resolve));
  // Paced, not a burst: Node's own flood limit never trips.
  for (let i = 0; i < 20 && !c.session.closed && !c.session.destroyed; i++) {
    void ping(c.session);
    await sleep(20);
  }
  await c.closed;
  assert.deepEqual(c.goaways.map((g) => [g.code, g.debug]), [[http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, "too_many_pings"]]);
  assert.equal(counters.tooManyPings, 1);
  // First ping valid, two strikes, the third is one too many.
  assert.equal(counters.pingsReceived, 4);
  await server.close({ graceMs: 500 });
  await assertNoLeaks();
});

test("keepalive enforcement: PINGs that follow responses are never strikes (BDP probes); idle PINGs are held to two hours", { timeout: 20_000 }, async () => {
  const { server, port, counters } = await startServer({ permitKeepaliveTimeMs: 60_000 });
  const c = connect(port);
  for (let i = 0; i < 10; i++) {
    assert.equal(await rawUnary(c.session), "0");
    assert.equal(await ping(c.session), true);
  }
  assert.equal(counters.pingStrikes, 0);
  // Without calls and without permitKeepaliveWithoutCalls, the next pings strike.
  for (let i = 0; i < 3; i++) await ping(c.session);
  await c.closed;
  assert.equal(counters.tooManyPings, 1);
  assert.deepEqual(c.goaways.map((g) => g.debug), ["too_many_pings"]);
  await server.close({ graceMs: 500 });
});

test("keepalive enforcement: with permitKeepaliveWithoutCalls, pings at the permitted rate keep an idle connection", { timeout: 20_000 }, async () => {
  const { server, port, counters } = await startServer({ permitKeepaliveTimeMs: 100, permitKeepaliveWithoutCalls: true });
  const c = connect(port);
  await new Promise((resolve) => c.session.once("connect", resolve));
  for (let i = 0; i < 6; i++) {
    assert.equal(await ping(c.session), true);
    await sleep(130);
  }
  assert.equal(counters.pingStrikes, 0);
  assert.equal(c.goaways.length, 0);
  c.session.close();
  await server.close({ graceMs: 500 });
});

test("maxConnectionIdleMs: an idle connection gets a graceful GOAWAY max_idle and closes; a busy one stays", { timeout: 20_000 }, async () => {
  const { server, port, counters } = await startServer({ maxConnectionIdleMs: 300 });
  const busy = connect(port);
  const idle = connect(port);
  await new Promise((resolve) => idle.session.once("connect", resolve));
  // Calls back to back (each shorter than the idle time) keep `busy` open.
  const started = performance.now();
  while (performance.now() - started < 700) assert.equal(await rawUnary(busy.session, { sleepMs: 50 }), "0");
  assert.equal(busy.goaways.length, 0);
  await idle.closed;
  assert.equal(idle.goaways[0]?.code, http2.constants.NGHTTP2_NO_ERROR);
  assert.equal(idle.goaways[0]?.debug, "max_idle");
  assert.equal(idle.goaways[0]?.lastStreamId, 2 ** 31 - 1);
  await busy.closed;
  assert.equal(busy.goaways[0]?.debug, "max_idle");
  assert.equal(counters.maxIdle, 2);
  await server.close({ graceMs: 500 });
});

test("graceful GOAWAY: first 2^31-1 with a PING, then the last stream processed; the call in flight completes", { timeout: 20_000 }, async () => {
  const { server, port } = await startServer({});
  const c = connect(port);
  const call = rawUnary(c.session, { sleepMs: 300 });
  await sleep(100);
  const closing = server.close({ graceMs: 5000 });
  assert.equal(await call, "0");
  await closing;
  await c.closed;
  assert.deepEqual(
    c.goaways.slice(0, 2).map((g) => [g.code, g.lastStreamId]),
    [
      [0, 2 ** 31 - 1],
      [0, 1],
    ],
  );
  assert.equal(c.goaways[0]!.debug, "server_shutdown");
});

test("maxConnectionAgeMs 300 under load from grpc-js clients: no call is lost", { timeout: 30_000 }, async () => {
  const { server, port, counters } = await startServer({ maxConnectionAgeMs: 300, maxConnectionAgeGraceMs: 5000 });
  const { client, close } = createGrpcJsEchoClient(port);
  let ok = 0;
  const failures: string[] = [];
  const until = performance.now() + 2500;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (performance.now() < until) {
        try {
          await client.unary({ payload: new Uint8Array([1]), sleepMs: 5 }, { timeoutMs: 5000 });
          ok++;
        } catch (e) {
          failures.push(String(e));
        }
      }
    }),
  );
  close();
  await server.close({ graceMs: 1000 });
  assert.deepEqual(failures, []);
  assert.ok(ok > 100, `only ${ok} calls`);
  assert.ok(counters.maxAge >= 3, `only ${counters.maxAge} connections aged out`);
});

test("maxConnectionAgeMs 300 under load from a tsgrpc client: no call is lost", { timeout: 30_000 }, async (t) => {
  // Calls racing a GOAWAY are retried transparently (never processed) and new ones go to a new connection.
  const { server, port, counters } = await startServer({ maxConnectionAgeMs: 300, maxConnectionAgeGraceMs: 5000 });
  const channel = createChannel(`http://127.0.0.1:${port}`);
  const client = createClient(EchoService, channel);
  let ok = 0;
  const codes = new Map<Code, number>();
  const until = performance.now() + 2000;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (performance.now() < until) {
        try {
          await client.unary({ payload: new Uint8Array([1]), sleepMs: 5 }, { timeoutMs: 5000 });
          ok++;
        } catch (e) {
          const code = e instanceof RpcError ? e.code : Code.UNKNOWN;
          codes.set(code, (codes.get(code) ?? 0) + 1);
        }
      }
    }),
  );
  channel.close();
  await server.close({ graceMs: 1000 });
  const lost = [...codes.values()].reduce((a, b) => a + b, 0);
  t.diagnostic(`tsgrpc client: ${ok} ok, ${lost} lost (${JSON.stringify(Object.fromEntries(codes))}) over ${counters.maxAge} aged connections`);
  assert.ok(counters.maxAge >= 3);
  assert.equal(lost, 0);
});

test("maxConnectionAgeMs on a connection with no call in flight: the GOAWAY waits for the next call and reaches the client before its response, or goes after a second", { timeout: 20_000 }, async () => {
  // Node's HTTP/2 refuses any stream that arrives after a GOAWAY went out: sent while a call is
  // in flight, the GOAWAY precedes that call's response, and a client that waits for each call
  // before starting the next never races it.
  const { server, port, counters } = await startServer({ maxConnectionAgeMs: 200 });
  const c = connect(port);
  const events: string[] = [];
  c.session.on("goaway", () => events.push("goaway"));
  assert.equal(await rawUnary(c.session), "0");
  await sleep(500);
  assert.equal(c.goaways.length, 0, "GOAWAY on a connection with no call");
  const status = await new Promise<string | undefined>((resolve) => {
    const stream = c.session.request(grpcHeaders(unaryPath));
    stream.on("response", () => events.push("response"));
    stream.on("trailers", (t) => resolve(t["grpc-status"] as string | undefined));
    stream.on("error", () => resolve(undefined));
    stream.resume();
    stream.end(frame(toBinary(EchoRequestSchema, create(EchoRequestSchema, {}))));
  });
  assert.equal(status, "0");
  assert.deepEqual(events, ["goaway", "response"]);
  assert.equal(c.goaways[0]?.debug, "max_age");
  await c.closed;

  // With no call at all, the GOAWAY goes about a second after the age.
  const idle = connect(port);
  const opened = performance.now();
  await idle.closed;
  const afterMs = performance.now() - opened;
  assert.equal(idle.goaways[0]?.debug, "max_age");
  assert.ok(afterMs >= 1100 && afterMs < 4000, `idle connection sent away after ${afterMs} ms`);
  assert.equal(counters.maxAge, 2);
  await server.close({ graceMs: 500 });
  await assertNoLeaks();
});

test("maxConnectionAgeGraceMs: a call still running after the grace is cut off and the connection closed", { timeout: 20_000 }, async () => {
  const { server, port, counters } = await startServer({ maxConnectionAgeMs: 200, maxConnectionAgeGraceMs: 200 });
  const c = connect(port);
  const started = performance.now();
  const status = await rawUnary(c.session, { sleepMs: 5000 });
  await c.closed;
  const tookMs = performance.now() - started;
  assert.notEqual(status, "0");
  assert.ok(tookMs < 3000, `took ${tookMs} ms`);
  assert.equal(c.goaways[0]?.debug, "max_age");
  assert.equal(counters.graceExpired, 1);
  await server.close({ graceMs: 500 });
});

test("server keepalive: a client that never answers PINGs is disconnected after keepaliveTimeMs + keepaliveTimeoutMs", { timeout: 20_000 }, async () => {
  const { server, port, counters } = await startServer({ keepaliveTimeMs: 200, keepaliveTimeoutMs: 200 });
  const raw = await connectH2Socket(port);
  raw.write(Buffer.concat([clientPreface, h2Frame(frameType.SETTINGS, 0, 0)]));
  await raw.waitFor((f) => f.type === frameType.PING && (f.flags & 1) === 0, 3000);
  const closedAfterMs = await raw.closed;
  assert.ok(closedAfterMs >= 350, `closed after ${closedAfterMs} ms`);
  assert.equal(counters.keepaliveTimeouts, 1);

  // A client that answers stays.
  const c = connect(port);
  await sleep(1000);
  assert.equal(c.session.closed || c.session.destroyed, false);
  c.session.close();
  await server.close({ graceMs: 500 });
});

test("handshake timeout: connections that send nothing, half a preface, or no SETTINGS are closed", { timeout: 20_000 }, async () => {
  const { server, port, counters } = await startServer({ handshakeTimeoutMs: 300 });
  const nothing = await connectH2Socket(port);
  const half = await connectH2Socket(port);
  half.write(clientPreface.subarray(0, 10));
  const noSettings = await connectH2Socket(port);
  noSettings.write(clientPreface);
  const trickled = await connectH2Socket(port);
  // Trickling buys no time: the deadline counts from the accept.
  const trickle = setInterval(() => trickled.write(Buffer.from([0])), 50);
  trickled.write(Buffer.concat([clientPreface, Buffer.from([0, 0, 6, frameType.SETTINGS, 0, 0, 0, 0, 0])]));
  const times = await Promise.all([nothing.closed, half.closed, noSettings.closed, trickled.closed]);
  clearInterval(trickle);
  for (const ms of times) assert.ok(ms >= 250 && ms < 3000, `closed after ${ms} ms`);
  assert.ok(counters.handshakeTimeouts >= 2, `${counters.handshakeTimeouts} HTTP/2 handshake timeouts`);

  // A real client is not affected.
  const c = connect(port);
  assert.equal(await rawUnary(c.session), "0");
  await sleep(500);
  assert.equal(await rawUnary(c.session), "0");
  c.session.close();
  await server.close({ graceMs: 500 });
});

test("a connection error (fatal GOAWAY) is followed by closing the TCP connection", { timeout: 20_000 }, async () => {
  const { server, port } = await startServer({ keepaliveTimeMs: 200, keepaliveTimeoutMs: 300 });
  const raw = await connectH2Socket(port);
  raw.write(Buffer.concat([clientPreface, h2Frame(frameType.SETTINGS, 0, 0)]));
  await raw.waitFor((f) => f.type === frameType.SETTINGS, 3000);
  raw.write(h2Frame(frameType.SETTINGS, 1, 0));
  // A PING of 4 bytes: FRAME_SIZE_ERROR, a connection error.
  raw.write(h2Frame(frameType.PING, 0, 0, Buffer.from([1, 2, 3, 4])));
  const goaway = await raw.waitFor((f) => f.type === frameType.GOAWAY, 3000);
  assert.equal(goawayOf(goaway).code, http2.constants.NGHTTP2_FRAME_SIZE_ERROR);
  const closedAfterMs = await raw.closed;
  assert.ok(closedAfterMs < 5000);
  await server.close({ graceMs: 500 });
});

test("MAX_CONCURRENT_STREAMS: 100 by default; streams over the limit are refused with REFUSED_STREAM, queued ones complete", { timeout: 20_000 }, async () => {
  const { server, port } = await startServer({});
  const c = connect(port);
  const settings = await new Promise<http2.Settings>((resolve) => c.session.once("remoteSettings", resolve));
  assert.equal(settings.maxConcurrentStreams, 100);
  // node:http2 queues streams over the server's limit once it knows it: 150 slow calls all complete.
  const statuses = await Promise.all(Array.from({ length: 150 }, () => rawUnary(c.session, { sleepMs: 100 })));
  assert.deepEqual(new Set(statuses), new Set(["0"]));
  c.session.close();
  await server.close({ graceMs: 500 });

  // A burst on a fresh connection, before the client knows the limit: the streams past 2 are refused
  // with REFUSED_STREAM (nothing processed, safe to retry), not reset with an error; the server stays up.
  const small = await startServer({ maxConcurrentStreams: 2 });
  const burst = connect(small.port);
  const rstCodes = await Promise.all(
    Array.from({ length: 8 }, () => {
      const stream = burst.session.request(grpcHeaders(unaryPath));
      stream.on("error", () => {});
      stream.resume();
      stream.end(frame(toBinary(EchoRequestSchema, create(EchoRequestSchema, { sleepMs: 100 }))));
      return new Promise<number>((resolve) => stream.on("close", () => resolve(stream.rstCode ?? 0)));
    }),
  );
  assert.ok(rstCodes.filter((c) => c === 0).length >= 2, `rst codes ${rstCodes}`);
  assert.deepEqual(new Set(rstCodes.filter((c) => c !== 0)), new Set([http2.constants.NGHTTP2_REFUSED_STREAM]));
  burst.session.close();
  const c2 = connect(small.port);
  assert.equal(await rawUnary(c2.session), "0");
  c2.session.close();
  await small.server.close({ graceMs: 500 });
});

test("connection options are validated at construction", () => {
  assert.throws(() => createServer({ maxConcurrentStreams: 0 }), TypeError);
  assert.throws(() => createServer({ permitKeepaliveTimeMs: -1 }), TypeError);
  assert.throws(() => createServer({ maxConnectionAgeMs: Number.NaN }), TypeError);
  assert.throws(() => createServer({ handshakeTimeoutMs: 0 }), TypeError);
  assert.throws(() => createServer({ permitKeepaliveWithoutCalls: 1 as unknown as boolean }), TypeError);
  createServer({ maxConnectionIdleMs: Infinity, maxConnectionAgeMs: 2 ** 40 });
});

