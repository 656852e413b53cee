// tsgrpc/web's transports (gRPC-Web and Connect over fetch) against a
// tsgrpc server, from Node (fetch here speaks HTTP/1.1): the same
// createClient as a channel, with metadata, deadlines, signals, interceptors,
// errors with details, Connect GET, JSON, and request streams refused.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Code, RpcError, createDetail, createServer, type Interceptor, type Server } from "../../src/index.js";
import { createClient, createConnectTransport, createGrpcWebTransport, createJsonCodec, type Transport } from "../../src/web/index.js";
import { ErrorInfoSchema } from "../../src/status/error-details.js";
import { EchoService } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { UserService } from "../../examples/users/gen/users/v1/users_pb.js";
import { createUserStore, userService } from "../../examples/users/user-service.js";
import { createObservations, echoService } from "./echo-service.js";
import { assertNoLeaks } from "./leak-check.js";

describe("tsgrpc/web transports against a tsgrpc server", () => {
  let server: Server;
  let baseUrl: string;
  const observe = createObservations();

  before(async () => {
    const impl = echoService(observe);
    // gzip where a client accepts it: fetch's own accept-encoding for Connect unary responses.
    server = createServer({ compression: "gzip" })
      .service(EchoService, {
        ...impl,
        async unary(req, ctx) {
          if (req.tag === "details") throw new RpcError(Code.NOT_FOUND, "no such thing", { details: [createDetail(ErrorInfoSchema, { reason: "MISSING" })], metadata: { "x-why": "gone" } });
          return impl.unary!(req, ctx);
        },
      })
      .service(UserService, userService(createUserStore()));
    const { port } = await server.listen("127.0.0.1:0");
    baseUrl = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    await server.close({ graceMs: 100 });
    await assertNoLeaks();
  });

  const transports: [string, () => Transport][] = [
    ["gRPC-Web", () => createGrpcWebTransport({ baseUrl })],
    ["gRPC-Web, JSON", () => createGrpcWebTransport({ baseUrl, codec: createJsonCodec() })],
    ["Connect", () => createConnectTransport({ baseUrl })],
    ["Connect, JSON, GET", () => createConnectTransport({ baseUrl, codec: createJsonCodec(), useHttpGet: true })],
  ];

  for (const [name, transport] of transports) {
    describe(name, () => {
      test("unary and server streaming, with metadata both ways", async () => {
        const client = createClient(EchoService, transport());
        let header: string | undefined;
        let trailer: string | undefined;
        const res = await client.unary(
          { payload: new Uint8Array([4, 5]) },
          { metadata: { "x-header-a": "1", "x-trailer-b": "2" }, onHeader: (h) => (header = h.get("x-header-a")), onTrailer: (t) => (trailer = t.get("x-trailer-b")), timeoutMs: 5000 },
        );
        assert.deepEqual([...res.payload], [4, 5]);
        assert.equal(header, "1");
        assert.equal(trailer, "2");
        const got: number[] = [];
        for await (const m of client.serverStream({ responseCount: 4 }, { timeoutMs: 5000 })) got.push(m.index);
        assert.deepEqual(got, [0, 1, 2, 3]);
      });

      test("errors with details and metadata, mid-stream errors", async () => {
        const client = createClient(EchoService, transport());
        await assert.rejects(client.unary({ tag: "details" }), (e) => {
          assert.ok(e instanceof RpcError);
          assert.equal(e.code, Code.NOT_FOUND);
          assert.equal(e.rawMessage, "no such thing");
          assert.equal(e.metadata.get("x-why"), "gone");
          assert.equal(e.findDetails(ErrorInfoSchema)[0]?.reason, "MISSING");
          return true;
        });
        const got: number[] = [];
        await assert.rejects(
          (async () => {
            for await (const m of client.serverStream({ responseCount: 4, failCode: Code.DATA_LOSS, failAfter: 2, failMessage: "lost" })) got.push(m.index);
          })(),
          (e) => e instanceof RpcError && e.code === Code.DATA_LOSS && e.rawMessage === "lost",
        );
        assert.deepEqual(got, [0, 1]);
      });

      test("deadlines and signals end the call on both sides", async () => {
        const client = createClient(EchoService, transport());
        const tag = `deadline-${name}`;
        await assert.rejects(client.unary({ sleepMs: 5000, tag }, { timeoutMs: 100 }), (e) => e instanceof RpcError && e.code === Code.DEADLINE_EXCEEDED);
        assert.ok([Code.DEADLINE_EXCEEDED, Code.CANCELLED].includes(await observe.aborted(tag)));
        const cancelTag = `cancel-${name}`;
        const controller = new AbortController();
        const pending = client.unary({ sleepMs: 5000, tag: cancelTag }, { signal: controller.signal });
        setTimeout(() => controller.abort(), 100);
        await assert.rejects(pending, (e) => e instanceof RpcError && e.code === Code.CANCELLED);
        assert.equal(await observe.aborted(cancelTag), Code.CANCELLED);
      });

      test("leaving a stream early cancels it", async () => {
        const client = createClient(EchoService, transport());
        const tag = `leave-${name}`;
        for await (const m of client.serverStream({ responseCount: 100, sleepMs: 20, tag })) if (m.index === 1) break;
        assert.equal(await observe.aborted(tag), Code.CANCELLED);
      });

      test("client interceptors run, and request streams are refused before anything is sent", async () => {
        const seen: string[] = [];
        const interceptor: Interceptor = (next) => async (req) => {
          seen.push(req.method.name);
          req.header.set("x-header-i", "yes");
          return next(req);
        };
        const client = createClient(EchoService, transport(), { interceptors: [interceptor] });
        let header: string | undefined;
        await client.unary({}, { onHeader: (h) => (header = h.get("x-header-i")) });
        assert.deepEqual(seen, ["Unary"]);
        assert.equal(header, "yes");
        async function* requests() {
          yield { payload: new Uint8Array(1) };
        }
        await assert.rejects(client.clientStream(requests()), (e) => e instanceof RpcError && e.code === Code.UNIMPLEMENTED);
      });

      test("the example service", async () => {
        const users = createClient(UserService, transport());
        assert.equal((await users.getUser({ id: "0002" })).user?.name, "grace");
        const names: string[] = [];
        for await (const u of users.listUsers({ pageSize: 2 })) names.push(u.name);
        assert.deepEqual(names, ["ada", "grace"]);
      });
    });
  }

  test("Connect GET is used for side-effect-free methods", async () => {
    const seen: string[] = [];
    const fetchSpy: typeof fetch = (input, init) => {
      seen.push(`${init?.method} ${String(input).replace(baseUrl, "")}`);
      return fetch(input, init);
    };
    const users = createClient(UserService, createConnectTransport({ baseUrl, useHttpGet: true, fetch: fetchSpy }));
    await users.getUser({ id: "0001" });
    for await (const _ of users.listUsers({ pageSize: 1 }));
    assert.match(seen[0]!, /^GET \/users\.v1\.UserService\/GetUser\?connect=v1&encoding=proto&base64=1&message=/);
    assert.match(seen[1]!, /^POST \/users\.v1\.UserService\/ListUsers$/);
  });

  test("a server that is not there is UNAVAILABLE", async () => {
    const client = createClient(EchoService, createGrpcWebTransport({ baseUrl: "http://127.0.0.1:1" }));
    await assert.rejects(client.unary({}), (e) => e instanceof RpcError && e.code === Code.UNAVAILABLE);
  });
});
