// Interceptors end to end, on all four kinds of call: chain order at every
// level (server, service, channel, client, call), metadata, message
// wrapping both ways, short-circuits, and the logging interceptor.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  Code,
  RpcError,
  createChannel,
  createClient,
  createContextKey,
  createServer,
  type Interceptor,
  type Metadata,
  type Server,
  type Channel,
} from "../../src/index.js";
import { createLoggingInterceptor, type CallLogEntry } from "../../src/interceptors/index.js";
import { EchoService } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { callKind, kinds, mapStream, plainEcho, rejection, suffixed, textEcho, type Kind } from "./interceptor-helpers.js";
import { assertNoLeaks } from "./leak-check.js";

/** Records entering (`name>`) and leaving (`<name`) of the chain. */
function tracer(name: string, trace: string[]): Interceptor {
  return (next) => async (req) => {
    trace.push(`${name}>`);
    try {
      return await next(req);
    } finally {
      trace.push(`<${name}`);
    }
  };
}

describe("interceptors", { timeout: 60_000 }, () => {
  const servers: Server[] = [];
  const channels: Channel[] = [];
  async function start(server: Server, channelOptions: Parameters<typeof createChannel>[1] = {}) {
    servers.push(server);
    const { port } = await server.listen("127.0.0.1:0");
    const channel = createChannel(`http://127.0.0.1:${port}`, channelOptions);
    channels.push(channel);
    return channel;
  }
  after(async () => {
    for (const c of channels) c.close();
    for (const s of servers) await s.close({ graceMs: 500 });
    await assertNoLeaks();
  });

  test("chains run in order: server, service | channel, client, call (outermost first)", async () => {
    const trace: string[] = [];
    const server = createServer({ interceptors: [tracer("server", trace)] }).service(
      EchoService,
      textEcho(() => trace.push("handler")),
      { interceptors: [tracer("service", trace)] },
    );
    const channel = await start(server, { interceptors: [tracer("channel", trace)] });
    const client = createClient(EchoService, channel, { interceptors: [tracer("client", trace)] });
    for (const kind of kinds) {
      trace.length = 0;
      assert.deepEqual(await callKind(client, kind, "x", { interceptors: [tracer("call", trace)] }), plainEcho(kind, "x"));
      const entered = trace.filter((t) => t.endsWith(">") || t === "handler");
      assert.deepEqual(entered, ["channel>", "client>", "call>", "server>", "service>", "handler"], kind);
      assert.equal(trace.length, 11, `${kind}: every interceptor left once: ${trace.join(" ")}`);
      if (kind === "unary" || kind === "clientStream") {
        assert.deepEqual(trace.slice(6), ["<service", "<server", "<call", "<client", "<channel"], kind);
      }
    }
    // Without the per-call interceptor.
    trace.length = 0;
    await client.unary({});
    assert.deepEqual(trace, ["channel>", "client>", "server>", "service>", "handler", "<service", "<server", "<client", "<channel"]);
  });

  test("metadata: the client's interceptor adds headers, the server's reads them, sets context values, response headers and trailers", async () => {
    const tenantKey = createContextKey<string>("none");
    const handlerSaw: string[] = [];
    const serverSide: Interceptor = (next) => async (req) => {
      assert.equal(req.side, "server");
      req.context!.values.set(tenantKey, String(req.header.get("x-tenant")));
      req.header.set("x-added-by-server-interceptor", "1");
      req.context!.responseHeader.set("x-response-header", "h");
      req.context!.responseTrailer.set("x-response-trailer", "t");
      return next(req);
    };
    const server = createServer({ interceptors: [serverSide] }).service(
      EchoService,
      textEcho((kind, ctx) => handlerSaw.push(`${kind}:${ctx.values.get(tenantKey)}:${ctx.metadata.get("x-added-by-server-interceptor")}`)),
    );
    const clientSide: Interceptor = (next) => (req) => {
      assert.equal(req.side, "client");
      req.header.set("x-tenant", `acme-${req.method.name}`);
      return next(req);
    };
    const client = createClient(EchoService, await start(server), { interceptors: [clientSide] });
    for (const kind of kinds) {
      let header: Metadata | undefined;
      let trailer: Metadata | undefined;
      await callKind(client, kind, "m", { onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) });
      assert.equal(header?.get("x-response-header"), "h", kind);
      assert.equal(trailer?.get("x-response-trailer"), "t", kind);
    }
    assert.deepEqual(handlerSaw, ["unary:acme-Unary:1", "serverStream:acme-ServerStream:1", "clientStream:acme-ClientStream:1", "bidi:acme-Bidi:1"]);
  });

  test("messages: interceptors wrap or replace requests and responses on both sides", async () => {
    // Requests get "|c" (client) then "|s" (server); responses "|S" (server) then "|C" (client).
    const rewrite = (reqSuffix: string, resSuffix: string): Interceptor => (next) => async (req) => {
      const changed = req.stream
        ? { ...req, message: mapStream(req.message, (m) => suffixed(m, reqSuffix)) }
        : { ...req, message: suffixed(req.message, reqSuffix) };
      const res = await next(changed);
      return res.stream
        ? { ...res, message: mapStream(res.message, (m) => suffixed(m, resSuffix)) }
        : { ...res, message: suffixed(res.message, resSuffix) };
    };
    const server = createServer({ interceptors: [rewrite("|s", "|S")] }).service(EchoService, textEcho());
    const client = createClient(EchoService, await start(server), { interceptors: [rewrite("|c", "|C")] });
    assert.deepEqual(await callKind(client, "unary", "x"), ["x|c|s|S|C"]);
    assert.deepEqual(await callKind(client, "serverStream", "x"), ["x|c|s|S|C", "x|c|s|S|C"]);
    assert.deepEqual(await callKind(client, "clientStream", "x"), ["x|c|s,x|c|s|S|C"]);
    assert.deepEqual(await callKind(client, "bidi", "x"), ["x|c|s|S|C", "x|c|s|S|C"]);
  });

  test("a spread copy ({ ...req, message } and { ...res, message }) keeps the metadata and the signal, on both sides", async () => {
    const seen: string[] = [];
    const spreadReq: Interceptor = (next) => (req) => next({ ...req, message: req.message } as typeof req);
    const spreadRes: Interceptor = (next) => async (req) => {
      const res = await next(req);
      return { ...res, message: res.message } as typeof res;
    };
    const inner: Interceptor = (next) => (req) => {
      seen.push(`${req.side} ${req.method.name} header=${req.header.get("x-k")} signal=${req.side === "server" ? req.signal instanceof AbortSignal : "-"}`);
      return next(req);
    };
    const outer: Interceptor = (next) => async (req) => {
      const res = await next(req);
      seen.push(`${req.side} ${req.method.name} response header=${res.header.get("x-h")} trailer=${res.stream ? "-" : res.trailer.get("x-t")}`);
      return res;
    };
    const server = createServer({ interceptors: [spreadReq, inner] }).service(EchoService, {
      ...textEcho(),
      async unary(req, ctx) {
        ctx.responseHeader.set("x-h", "h");
        ctx.responseTrailer.set("x-t", "t");
        return { payload: req.payload };
      },
    });
    const client = createClient(EchoService, await start(server), { interceptors: [outer, spreadRes, spreadReq, inner] });
    assert.deepEqual(await callKind(client, "unary", "x", { metadata: { "x-k": "v" } }), ["x"]);
    assert.deepEqual(await callKind(client, "serverStream", "x", { metadata: { "x-k": "v" } }), ["x", "x"]);
    // A streamed response is handed over before the server sees the call: compare without order.
    assert.deepEqual(seen.sort(), [
      "client ServerStream header=v signal=-",
      "client ServerStream response header=undefined trailer=-",
      "client Unary header=v signal=-",
      "client Unary response header=h trailer=t",
      "server ServerStream header=v signal=true",
      "server Unary header=v signal=true",
    ]);
  });

  test("short-circuit: a client interceptor's error never reaches the network; a server interceptor's never reaches the handler", async () => {
    let handlerRuns = 0;
    let serverInterceptorRuns = 0;
    const refuse: Interceptor = () => async (req) => {
      serverInterceptorRuns++;
      throw new RpcError(Code.UNAUTHENTICATED, `no entry to ${req.method.name}`, { metadata: { "x-why": "test" } });
    };
    const server = createServer().service(EchoService, textEcho(() => handlerRuns++), { interceptors: [refuse] });
    const channel = await start(server);
    const blocked: Interceptor = () => async () => {
      throw new RpcError(Code.PERMISSION_DENIED, "blocked on the client");
    };
    const local = createClient(EchoService, channel, { interceptors: [blocked] });
    for (const kind of kinds) {
      const e = await rejection(callKind(local, kind, "x"));
      assert.equal(e.code, Code.PERMISSION_DENIED, kind);
    }
    assert.equal(serverInterceptorRuns, 0);
    const remote = createClient(EchoService, channel);
    for (const kind of kinds) {
      const e = await rejection(callKind(remote, kind, "x"));
      assert.equal(e.code, Code.UNAUTHENTICATED, kind);
      assert.match(e.rawMessage, /^no entry to /);
      assert.equal(e.metadata.get("x-why"), "test");
    }
    assert.equal(serverInterceptorRuns, 4);
    assert.equal(handlerRuns, 0);
  });

  test("a server interceptor sees the request stream's end and can replace the response of a streaming call", async () => {
    const replace: Interceptor = (next) => async (req) => {
      if (req.method.name !== "Bidi") return next(req);
      const res = await next(req);
      if (!res.stream) return res;
      // Drop the handler's responses after the first.
      async function* firstOnly() {
        for await (const m of res.stream ? res.message : []) {
          yield suffixed(m, "!");
          return;
        }
      }
      return { ...res, message: firstOnly() };
    };
    const server = createServer({ interceptors: [replace] }).service(EchoService, textEcho());
    const client = createClient(EchoService, await start(server));
    assert.deepEqual(await callKind(client, "bidi", "y"), ["y!"]);
  });

  test("logging interceptor: method, status and duration on both sides for all four kinds; silent by default", async () => {
    const serverLog: CallLogEntry[] = [];
    const clientLog: CallLogEntry[] = [];
    const server = createServer({ interceptors: [createLoggingInterceptor({ log: (e) => serverLog.push(e) })] }).service(EchoService, textEcho());
    const channel = await start(server, { interceptors: [createLoggingInterceptor({ log: (e) => clientLog.push(e) })] });
    const client = createClient(EchoService, channel);
    for (const kind of kinds) {
      await callKind(client, kind, "ok");
      await rejection(callKind(client, kind, "fail"));
    }
    const expected = kinds.flatMap((k: Kind) => [
      [k, "OK"],
      [k, "NOT_FOUND"],
    ]);
    const shape = (log: CallLogEntry[]) => log.map((e) => [e.method.charAt(0).toLowerCase() + e.method.slice(1), e.status]);
    assert.deepEqual(shape(clientLog), expected);
    // The server finishes its log entry before the client reads the status.
    assert.deepEqual(shape(serverLog).sort(), expected.slice().sort());
    for (const e of [...clientLog, ...serverLog]) {
      assert.equal(e.service, "tsgrpc.test.v1.EchoService");
      assert.ok(e.durationMs >= 0 && e.durationMs < 10_000);
      assert.equal(e.code === Code.OK, e.error === undefined);
    }
    assert.ok(clientLog.every((e) => e.side === "client" && e.peer === undefined));
    assert.ok(serverLog.every((e) => e.side === "server" && /^127\.0\.0\.1:\d+$/.test(e.peer ?? "")));
    const kindsSeen = new Set(clientLog.map((e) => e.kind));
    assert.deepEqual([...kindsSeen].sort(), ["bidi_streaming", "client_streaming", "server_streaming", "unary"]);

    // Leaving a stream early is CANCELLED on the client, and on the server.
    clientLog.length = 0;
    serverLog.length = 0;
    for await (const _ of client.bidi((async function* () {
      yield {};
      await new Promise(() => {});
    })())) break;
    assert.equal(clientLog[0]?.status, "CANCELLED");
    for (let i = 0; i < 100 && serverLog.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(serverLog[0]?.status, "CANCELLED");
    assert.equal(serverLog[0]?.method, "Bidi");

    // With no logger, nothing is printed.
    const printed: unknown[] = [];
    const saved = { log: console.log, info: console.info, error: console.error, warn: console.warn, debug: console.debug };
    console.log = console.info = console.error = console.warn = console.debug = (...a: unknown[]) => printed.push(a);
    try {
      const quiet = createClient(EchoService, channel, { interceptors: [createLoggingInterceptor()] });
      for (const kind of kinds) await callKind(quiet, kind, "q");
    } finally {
      Object.assign(console, saved);
    }
    assert.deepEqual(printed, []);
  });

  test("a failing logger does not fail the call", async () => {
    const server = createServer().service(EchoService, textEcho());
    const boom = createLoggingInterceptor({ log: () => { throw new Error("logger down"); } });
    const client = createClient(EchoService, await start(server, { interceptors: [boom] }));
    for (const kind of kinds) assert.deepEqual(await callKind(client, kind, "z"), plainEcho(kind, "z"));
  });
});
