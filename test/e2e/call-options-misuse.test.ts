// Invalid call options and requests: the client method never throws; the
// call's promise, or a stream's first next(), rejects with a TypeError that
// names the method and the option, and nothing reaches the server.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Code, Metadata, RpcError, createChannel, createClient, createServer, type CallOptions, type Channel, type Client, type Server } from "../../src/index.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EchoRequestSchema } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { EchoService, echoService } from "./echo-service.js";
import { assertNoLeaks } from "./leak-check.js";

type EchoInit = MessageInitShape<typeof EchoRequestSchema>;

/** [what, options, what the message must say after "EchoService.<Method>: "]. */
const badOptions: [string, unknown, RegExp][] = [
  ["options not an object", 5, /^call options must be an object, got 5$/],
  ["options null", null, /^call options must be an object, got null$/],
  ["timeoutMs NaN", { timeoutMs: NaN }, /^timeoutMs must be a number of milliseconds .*got NaN$/],
  ["timeoutMs a string", { timeoutMs: "5000" }, /^timeoutMs must be a number .*got "5000"$/],
  ["deadline an invalid Date", { deadline: new Date(Number.NaN) }, /^deadline must be a valid Date .*got an invalid Date$/],
  ["deadline NaN", { deadline: NaN }, /^deadline must be .*got NaN$/],
  ["deadline a string", { deadline: "tomorrow" }, /^deadline must be .*got "tomorrow"$/],
  ["metadata key with a space", { metadata: { "x name": "v" } }, /^metadata key "x name" is invalid/],
  ["metadata key with a colon", { metadata: [[":path", "/x"]] }, /^metadata key ":path" is invalid/],
  ["metadata value not ASCII", { metadata: { "x-name": "Zoë" } }, /^metadata value of "x-name" must be printable ASCII/],
  ["metadata value with a control character", { metadata: { "x-name": "a\r\nx-evil: 1" } }, /^metadata value of "x-name" must be printable ASCII/],
  ["metadata bytes on an ASCII key", { metadata: { "x-name": new Uint8Array([1]) } }, /^metadata key "x-name" takes a string value/],
  ["metadata text on a -bin key", { metadata: { "x-data-bin": "AAE=" } }, /^metadata key "x-data-bin" ends in -bin: its value must be a Uint8Array/],
  ["metadata key reserved for gRPC", { metadata: { "grpc-timeout": "1S" } }, /^metadata key "grpc-timeout" is reserved for gRPC \(use the timeoutMs or deadline option\)$/],
  ["metadata key reserved for HTTP/2", { metadata: new Metadata({ TE: "trailers" }) }, /^metadata key "te" is reserved for gRPC$/],
  ["metadata not an object", { metadata: "x-a: 1" }, /^metadata must be a Metadata, an object or \[key, value\] pairs, got "x-a: 1"$/],
  ["maxReceiveBytes negative", { maxReceiveBytes: -1 }, /^maxReceiveBytes must be a non-negative integer number of bytes or Infinity, got -1$/],
  ["maxReceiveBytes fractional", { maxReceiveBytes: 1.5 }, /^maxReceiveBytes must be .*got 1.5$/],
  ["maxSendBytes NaN", { maxSendBytes: NaN }, /^maxSendBytes must be .*got NaN$/],
  ["compression unknown", { compression: "br" }, /^compression must be one of identity, gzip, deflate; got "br"$/],
  ["signal not an AbortSignal", { signal: { aborted: false } }, /^signal must be an AbortSignal, got an object$/],
  ["signal an EventTarget", { signal: new EventTarget() }, /^signal must be an AbortSignal, got an instance of EventTarget$/],
  ["interceptors not an array", { interceptors: () => undefined }, /^interceptors must be an array of functions$/],
  ["interceptors holding a non-function", { interceptors: [{}] }, /^interceptors must be an array of functions$/],
  ["onHeader not a function", { onHeader: "log" }, /^onHeader must be a function, got "log"$/],
  ["onTrailer not a function", { onTrailer: 1 }, /^onTrailer must be a function, got 1$/],
  ["compressMessage not a function", { compressMessage: true }, /^compressMessage must be a function, got true$/],
  ["callCredentials not a function", { callCredentials: { authorization: "x" } }, /^callCredentials must be a function, got an object$/],
  ["propagate not a boolean", { propagate: "no" }, /^propagate must be a boolean, got "no"$/],
];

/** A request init that protobuf-es's `create()` throws on. */
const unmakeable = (): EchoInit =>
  ({
    get tag(): string {
      throw new Error("no tag today");
    },
  }) as EchoInit;

async function* requests(...inits: EchoInit[]): AsyncGenerator<EchoInit> {
  yield* inits;
}

function expectMisuse(method: string, pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof TypeError, `expected a TypeError, got ${String(e)}`);
    assert.ok(!(e instanceof RpcError));
    const prefix = `EchoService.${method}: `;
    assert.ok(e.message.startsWith(prefix), `message "${e.message}" does not start with "${prefix}"`);
    assert.match(e.message.slice(prefix.length), pattern);
    return true;
  };
}

/** Calls `fn` and checks that it did not throw synchronously. */
function noThrow<T>(fn: () => T): T {
  let out: T;
  assert.doesNotThrow(() => {
    out = fn();
  });
  return out!;
}

/** The first next() of a stream, which must not throw synchronously either. */
function firstNext<T>(iterable: AsyncIterable<T>): Promise<IteratorResult<T>> {
  const it = noThrow(() => iterable[Symbol.asyncIterator]());
  return noThrow(() => it.next());
}

describe("invalid call options and requests", { timeout: 30_000 }, () => {
  let server: Server;
  let channel: Channel;
  let client: Client<typeof EchoService>;
  /** Calls that reached the server. */
  let calls = 0;

  before(async () => {
    server = createServer({
      interceptors: [
        (next) => (req) => {
          calls++;
          return next(req);
        },
      ],
    }).service(EchoService, echoService());
    const { port } = await server.listen("127.0.0.1:0");
    channel = createChannel(`http://127.0.0.1:${port}`);
    client = createClient(EchoService, channel);
  });

  after(async () => {
    channel.close();
    await server.close({ graceMs: 1000 });
    await assertNoLeaks();
  });

  for (const [what, options, pattern] of badOptions) {
    test(what, async () => {
      const callsBefore = calls;
      const o = options as CallOptions;
      await assert.rejects(noThrow(() => client.unary({}, o)), expectMisuse("Unary", pattern));
      await assert.rejects(firstNext(client.serverStream({}, o)), expectMisuse("ServerStream", pattern));
      await assert.rejects(noThrow(() => client.clientStream(requests({}), o)), expectMisuse("ClientStream", pattern));
      await assert.rejects(firstNext(client.bidi(requests({}), o)), expectMisuse("Bidi", pattern));
      assert.equal(calls, callsBefore, "a call with invalid options reached the server");
    });
  }

  test("a request that cannot be made into the input message", async () => {
    const callsBefore = calls;
    const pattern = /^the request is not a valid tsgrpc\.test\.v1\.EchoRequest: no tag today$/;
    await assert.rejects(noThrow(() => client.unary(unmakeable())), expectMisuse("Unary", pattern));
    await assert.rejects(firstNext(client.serverStream(unmakeable())), expectMisuse("ServerStream", pattern));
    assert.equal(calls, callsBefore);
  });

  test("requests of a streaming call that are not an AsyncIterable", async () => {
    const callsBefore = calls;
    const notIterable = [{}] as unknown as AsyncIterable<EchoInit>;
    const pattern = /^the requests must be an AsyncIterable, got an array$/;
    await assert.rejects(noThrow(() => client.clientStream(notIterable)), expectMisuse("ClientStream", pattern));
    await assert.rejects(firstNext(client.bidi(notIterable)), expectMisuse("Bidi", pattern));
    assert.equal(calls, callsBefore);
  });

  test("a stream that is never read checks nothing and sends nothing", () => {
    const callsBefore = calls;
    noThrow(() => client.serverStream({}, { timeoutMs: NaN }));
    noThrow(() => client.bidi(requests(), { timeoutMs: NaN }));
    assert.equal(calls, callsBefore);
  });

  test("valid edge cases are accepted: uppercase keys, Infinity, -bin bytes", async () => {
    const options: CallOptions = {
      timeoutMs: Infinity,
      deadline: Infinity,
      metadata: { "X-Header-Name": "Value", "x-header-data-bin": new Uint8Array([0, 255]) },
      maxReceiveBytes: Infinity,
      maxSendBytes: 1024,
      compression: "identity",
      interceptors: [],
      signal: new AbortController().signal,
      propagate: false,
    };
    let header: Metadata | undefined;
    await client.unary({}, { ...options, onHeader: (h) => (header = h) });
    assert.equal(header?.get("x-header-name"), "Value");
    assert.deepEqual(header?.get("x-header-data-bin"), new Uint8Array([0, 255]));
    let n = 0;
    for await (const _ of client.serverStream({ responseCount: 2 }, options)) n++;
    assert.equal(n, 2);
  });

  test("a timeout of zero or less is a deadline that has passed: DEADLINE_EXCEEDED, nothing sent", async () => {
    const callsBefore = calls;
    for (const timeoutMs of [0, -1, -Infinity]) {
      await assert.rejects(client.unary({}, { timeoutMs }), (e: unknown) => e instanceof RpcError && e.code === Code.DEADLINE_EXCEEDED);
      await assert.rejects(firstNext(client.serverStream({}, { timeoutMs })), (e: unknown) => e instanceof RpcError && e.code === Code.DEADLINE_EXCEEDED);
    }
    assert.equal(calls, callsBefore);
  });

  test("a bad request in the middle of a request stream cancels the call, with the TypeError as cause", async () => {
    await assert.rejects(client.clientStream(requests({}, unmakeable())), (e: unknown) => {
      assert.ok(e instanceof RpcError);
      assert.equal(e.code, Code.CANCELLED);
      assert.ok(e.cause instanceof TypeError);
      assert.match(e.rawMessage, /^EchoService\.ClientStream: the request is not a valid tsgrpc\.test\.v1\.EchoRequest: no tag today$/);
      return true;
    });
  });
});
