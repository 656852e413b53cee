// One contract for every client/server pairing of the EchoService: tsgrpc
// on both sides, and tsgrpc against @grpc/grpc-js in both directions.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Code, RpcError, createClient, createServer, type Client, type Metadata, type Server, type Transport } from "../../src/index.js";
import { EchoService } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { createObservations, echoService, type ServerObservations } from "./echo-service.js";
import { assertNoLeaks } from "./leak-check.js";

export interface EchoPairing {
  client: Client<typeof EchoService>;
  /** Present when the server is tsgrpc: lets tests check what the handler saw. */
  observe?: ServerObservations;
  /** The server's receive limit and the client's, in bytes. */
  serverMaxReceiveBytes: number;
  clientMaxReceiveBytes: number;
  teardown(): Promise<void>;
}

const MiB = 1024 * 1024;

async function expectError(p: Promise<unknown>, code: Code, message?: string): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RpcError, `expected an RpcError, got ${String(e)}`);
    assert.equal(Code[e.code], Code[code], `expected ${Code[code]}, got ${Code[e.code]}: ${e.rawMessage}`);
    if (message !== undefined) assert.equal(e.rawMessage, message);
    return e;
  }
  assert.fail(`expected ${Code[code]}, the call succeeded`);
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const m of it) out.push(m);
  return out;
}

async function* from<T>(items: Iterable<T>): AsyncIterable<T> {
  for (const i of items) yield i;
}

let tagCounter = 0;
const newTag = () => `t${++tagCounter}`;

export function runEchoContract(name: string, setup: () => Promise<EchoPairing>): void {
  describe(name, { timeout: 60_000 }, () => {
    let p: EchoPairing;
    before(async () => {
      p = await setup();
    });
    after(async () => {
      await p.teardown();
    });

    test("unary round trip", async () => {
      const res = await p.client.unary({ payload: new TextEncoder().encode("hello") });
      assert.equal(new TextDecoder().decode(res.payload), "hello");
    });

    test("unary with empty messages (0 bytes both ways)", async () => {
      const res = await p.client.unary({});
      assert.equal(res.payload.byteLength, 0);
    });

    test("1 MiB request and 1 MiB response", async () => {
      const payload = new Uint8Array(MiB).fill(7);
      const res = await p.client.unary({ payload });
      assert.equal(res.payload.byteLength, MiB);
      assert.equal(res.payload[MiB - 1], 7);
      const big = await p.client.unary({ responseSize: MiB });
      assert.equal(big.payload.byteLength, MiB);
    });

    test("a request just over the server's receive limit: RESOURCE_EXHAUSTED", async () => {
      await expectError(p.client.unary({ payload: new Uint8Array(p.serverMaxReceiveBytes) }), Code.RESOURCE_EXHAUSTED);
    });

    test("a response just over the client's receive limit: RESOURCE_EXHAUSTED", async () => {
      await expectError(p.client.unary({ responseSize: p.clientMaxReceiveBytes + 1 }), Code.RESOURCE_EXHAUSTED);
      // The connection stays usable.
      assert.equal((await p.client.unary({ responseSize: 10 })).payload.byteLength, 10);
    });

    test("server streaming, in order", async () => {
      const got = await collect(p.client.serverStream({ responseCount: 5, responseSize: 3 }));
      assert.deepEqual(got.map((m) => m.index), [0, 1, 2, 3, 4]);
    });

    test("10,000 messages on one server stream", async () => {
      let n = 0;
      for await (const m of p.client.serverStream({ responseCount: 10_000, responseSize: 10 })) {
        assert.equal(m.index, n++);
      }
      assert.equal(n, 10_000);
    });

    test("10,000 messages on one client stream", async () => {
      function* reqs() {
        for (let i = 0; i < 10_000; i++) yield { payload: new Uint8Array(3) };
      }
      const res = await p.client.clientStream(from(reqs()));
      assert.equal(res.receivedCount, 10_000);
      assert.equal(res.receivedBytes, 30_000n);
    });

    test("client streaming with no messages", async () => {
      const res = await p.client.clientStream(from([]));
      assert.equal(res.receivedCount, 0);
    });

    test("bidi echoes every message", async () => {
      const got = await collect(p.client.bidi(from(Array.from({ length: 100 }, (_, i) => ({ payload: new Uint8Array([i]) })))));
      assert.equal(got.length, 100);
      assert.deepEqual(got.map((m) => m.payload[0]), Array.from({ length: 100 }, (_, i) => i));
    });

    test("every status code round-trips with its message and metadata", async () => {
      for (let code = 1; code <= 16; code++) {
        let trailer: Metadata | undefined;
        const e = await expectError(
          p.client.unary(
            { failCode: code, failMessage: `failed with ${code}` },
            { metadata: { "x-trailer-text": `t${code}`, "x-trailer-data-bin": new Uint8Array([code, 0, 255]) }, onTrailer: (t) => (trailer = t) },
          ),
          code as Code,
          `failed with ${code}`,
        );
        assert.equal(e.metadata.get("x-trailer-text"), `t${code}`);
        assert.deepEqual(e.metadata.get("x-trailer-data-bin"), new Uint8Array([code, 0, 255]));
        assert.equal(trailer?.get("x-trailer-text"), `t${code}`);
      }
    });

    test("an error after some streamed messages", async () => {
      const got: number[] = [];
      await expectError(
        (async () => {
          for await (const m of p.client.serverStream({ responseCount: 5, failCode: Code.ABORTED, failAfter: 3, failMessage: "stop" })) got.push(m.index);
        })(),
        Code.ABORTED,
        "stop",
      );
      assert.deepEqual(got, [0, 1, 2]);
    });

    test("errors in client streaming and bidi", async () => {
      await expectError(p.client.clientStream(from([{}, { failCode: Code.OUT_OF_RANGE, failMessage: "cs" }])), Code.OUT_OF_RANGE, "cs");
      await expectError(collect(p.client.bidi(from([{}, { failCode: Code.DATA_LOSS, failMessage: "bd" }]))), Code.DATA_LOSS, "bd");
    });

    test("a status message with any Unicode survives", async () => {
      const text = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n 100% done";
      await expectError(p.client.unary({ failCode: Code.UNKNOWN, failMessage: text }), Code.UNKNOWN, text);
    });

    test("headers and trailers, ASCII and binary, both ways", async () => {
      let header: Metadata | undefined;
      let trailer: Metadata | undefined;
      await p.client.unary(
        {},
        {
          metadata: { "x-header-a": "1", "x-header-b-bin": new Uint8Array([0, 1, 2, 250]), "x-trailer-c": "3", "x-trailer-d-bin": new Uint8Array([9]) },
          onHeader: (h) => (header = h),
          onTrailer: (t) => (trailer = t),
        },
      );
      assert.equal(header?.get("x-header-a"), "1");
      assert.deepEqual(header?.get("x-header-b-bin"), new Uint8Array([0, 1, 2, 250]));
      assert.equal(trailer?.get("x-trailer-c"), "3");
      assert.deepEqual(trailer?.get("x-trailer-d-bin"), new Uint8Array([9]));
    });

    test("deadline exceeded on a sleeping handler", async () => {
      const tag = newTag();
      const started = Date.now();
      await expectError(p.client.unary({ sleepMs: 5000, tag }, { timeoutMs: 200 }), Code.DEADLINE_EXCEEDED);
      assert.ok(Date.now() - started < 2000, "the client waited far beyond its deadline");
      if (p.observe) {
        const code = await p.observe.aborted(tag);
        assert.ok(code === Code.DEADLINE_EXCEEDED || code === Code.CANCELLED, `handler signal reason ${Code[code]}`);
      }
    });

    test("deadline exceeded mid-stream", async () => {
      const got: number[] = [];
      await expectError(
        (async () => {
          for await (const m of p.client.serverStream({ responseCount: 100, sleepMs: 50 }, { timeoutMs: 300 })) got.push(m.index);
        })(),
        Code.DEADLINE_EXCEEDED,
      );
      assert.ok(got.length > 0 && got.length < 100);
    });

    test("client cancel mid-stream: CANCELLED, and the handler sees it", async () => {
      const tag = newTag();
      const ac = new AbortController();
      const got: number[] = [];
      await expectError(
        (async () => {
          for await (const m of p.client.serverStream({ responseCount: 1000, sleepMs: 20, tag }, { signal: ac.signal })) {
            got.push(m.index);
            if (got.length === 2) ac.abort();
          }
        })(),
        Code.CANCELLED,
      );
      assert.deepEqual(got, [0, 1]);
      if (p.observe) assert.equal(await p.observe.aborted(tag), Code.CANCELLED);
    });

    test("leaving for-await early cancels the stream on the wire", async () => {
      const tag = newTag();
      for await (const m of p.client.serverStream({ responseCount: 1000, sleepMs: 10, tag })) {
        assert.equal(m.index, 0);
        break;
      }
      if (p.observe) assert.equal(await p.observe.aborted(tag), Code.CANCELLED);
    });

    test("cancel before the call starts", async () => {
      const ac = new AbortController();
      ac.abort();
      await expectError(p.client.unary({}, { signal: ac.signal }), Code.CANCELLED);
    });

    test("100 concurrent calls on one connection", async () => {
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => p.client.unary({ payload: new Uint8Array([i % 256]), sleepMs: i % 5 })),
      );
      results.forEach((r, i) => assert.equal(r.payload[0], i % 256));
    });
  });
}

/**
 * A pairing of a tsgrpc client with a tsgrpc server (default options)
 * through `connect`, which returns the client's transport and how to close
 * it: a channel over a socket, or one of tsgrpc/testing's transports.
 */
export function tsgrpcPairing(connect: (server: Server) => Promise<{ transport: Transport; close?: () => void }>): () => Promise<EchoPairing> {
  return async () => {
    const observe = createObservations();
    const server = createServer().service(EchoService, echoService(observe));
    const { transport, close } = await connect(server);
    return {
      client: createClient(EchoService, transport),
      observe,
      serverMaxReceiveBytes: 4 * MiB,
      clientMaxReceiveBytes: 4 * MiB,
      async teardown() {
        close?.();
        await server.close({ graceMs: 1000 });
        await assertNoLeaks();
      },
    };
  };
}
