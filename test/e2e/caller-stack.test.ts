// A failed call's RpcError shows where the caller awaited the call, for all
// four kinds of call, without losing what the error carries.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Code, RpcError, createChannel, createClient, createServer, type Channel, type Client, type Server } from "../../src/index.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EchoRequestSchema } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { EchoService, echoService } from "./echo-service.js";
import { assertNoLeaks } from "./leak-check.js";

type EchoInit = MessageInitShape<typeof EchoRequestSchema>;

async function* requests(...inits: EchoInit[]): AsyncGenerator<EchoInit> {
  yield* inits;
}

/** What `fn` rejects with. */
async function failure(fn: () => Promise<unknown>): Promise<RpcError> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof RpcError, `expected an RpcError, got ${String(e)}`);
    return e;
  }
  assert.fail("the call succeeded");
}

function assertCallerFrame(e: RpcError, fn: string): void {
  assert.ok(e.stack, "no stack");
  assert.match(e.stack, new RegExp(`^    at async ${fn} \\(.*caller-stack\\.test\\.ts:\\d+:\\d+\\)$`, "m"), `no frame of ${fn} in:\n${e.stack}`);
  assert.ok(e.stack.startsWith(`RpcError: ${e.message}\n`), `the stack does not start with the error's header:\n${e.stack}`);
  assert.doesNotMatch(e.stack, /[\\/]src[\\/]/, `tsgrpc's own frames are still there:\n${e.stack}`);
}

describe("caller stacks", { timeout: 30_000 }, () => {
  let server: Server;
  let channel: Channel;
  let client: Client<typeof EchoService>;

  before(async () => {
    server = createServer().service(EchoService, echoService());
    const { port } = await server.listen("127.0.0.1:0");
    channel = createChannel(`http://127.0.0.1:${port}`, {
      // An async interceptor on the way does not hide the caller.
      interceptors: [(next) => async (req) => await next(req)],
    });
    client = createClient(EchoService, channel);
  });

  after(async () => {
    channel.close();
    await server.close({ graceMs: 1000 });
    await assertNoLeaks();
  });

  test("unary: the stack names the function that awaited the call; code, message and metadata are kept", async () => {
    async function loadTheUser(): Promise<unknown> {
      return await client.unary(
        { failCode: Code.NOT_FOUND, failMessage: "no such user" },
        { metadata: { "x-trailer-why": "gone", "x-trailer-data-bin": new Uint8Array([7]) } },
      );
    }
    const e = await failure(loadTheUser);
    assertCallerFrame(e, "loadTheUser");
    assert.equal(e.code, Code.NOT_FOUND);
    assert.equal(e.rawMessage, "no such user");
    assert.equal(e.message, "[NOT_FOUND] no such user");
    assert.equal(e.metadata.get("x-trailer-why"), "gone");
    assert.deepEqual(e.metadata.get("x-trailer-data-bin"), new Uint8Array([7]));
    assert.deepEqual(e.details, []);
  });

  test("unary: a deadline that passes on the client's timer", async () => {
    async function waitForTheSlowOne(): Promise<unknown> {
      return await client.unary({ sleepMs: 5000 }, { timeoutMs: 50 });
    }
    const e = await failure(waitForTheSlowOne);
    assert.equal(e.code, Code.DEADLINE_EXCEEDED);
    assertCallerFrame(e, "waitForTheSlowOne");
  });

  test("server streaming: an error in the middle of the stream, and one before the first message", async () => {
    async function readTheStream(): Promise<number> {
      let n = 0;
      for await (const _ of client.serverStream({ responseCount: 3, failAfter: 2, failCode: Code.ABORTED, failMessage: "mid-stream" })) n++;
      return n;
    }
    const e = await failure(readTheStream);
    assert.equal(e.code, Code.ABORTED);
    assert.equal(e.rawMessage, "mid-stream");
    assertCallerFrame(e, "readTheStream");

    async function readNothing(): Promise<void> {
      for await (const _ of client.serverStream({ failCode: Code.PERMISSION_DENIED })) void _;
    }
    const e2 = await failure(readNothing);
    assert.equal(e2.code, Code.PERMISSION_DENIED);
    assertCallerFrame(e2, "readNothing");
  });

  test("server streaming: a failure while the reader waits for the next message", async () => {
    async function waitForMore(): Promise<void> {
      for await (const _ of client.serverStream({ responseCount: 2, sleepMs: 50, failAfter: 1, failCode: Code.UNAVAILABLE })) void _;
    }
    const e = await failure(waitForMore);
    assert.equal(e.code, Code.UNAVAILABLE);
    assertCallerFrame(e, "waitForMore");
  });

  test("client streaming", async () => {
    async function uploadTheParts(): Promise<unknown> {
      return await client.clientStream(requests({}, { failCode: Code.RESOURCE_EXHAUSTED, failMessage: "too many parts" }));
    }
    const e = await failure(uploadTheParts);
    assert.equal(e.code, Code.RESOURCE_EXHAUSTED);
    assert.equal(e.rawMessage, "too many parts");
    assertCallerFrame(e, "uploadTheParts");
  });

  test("bidi", async () => {
    async function chatWithTheServer(): Promise<void> {
      for await (const _ of client.bidi(requests({}, { failCode: Code.FAILED_PRECONDITION }))) void _;
    }
    const e = await failure(chatWithTheServer);
    assert.equal(e.code, Code.FAILED_PRECONDITION);
    assertCallerFrame(e, "chatWithTheServer");
  });

  test("an RpcError the caller aborts with comes back as the same object", async () => {
    const reason = new RpcError(Code.CANCELLED, "the user left");
    const controller = new AbortController();
    const call = client.unary({ sleepMs: 5000 }, { signal: controller.signal });
    controller.abort(reason);
    assert.equal(await failure(() => call), reason);
  });

  test("without an async function awaiting the call, it still fails with its RpcError (whose stack then names no caller)", async () => {
    const e = await new Promise<unknown>((resolve) => {
      setImmediate(() => {
        client.unary({ failCode: Code.NOT_FOUND, failMessage: "callback style" }).catch(resolve);
      });
    });
    assert.ok(e instanceof RpcError);
    assert.equal(e.rawMessage, "callback style");
    assert.ok(e.stack?.startsWith("RpcError: [NOT_FOUND] callback style"));
  });
});
