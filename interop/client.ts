/**
 * tsgrpc's interop client: the gRPC interop cases on tsgrpc's public API.
 *
 *   npm run interop:client -- --server_host=127.0.0.1 --server_port=8080 --test_case=large_unary \
 *     [--use_tls=true --use_test_ca=true --server_host_override=foo.test.google.fr]
 *
 * Exits 0 when the case passed; otherwise prints what differed and exits 1.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  Code,
  codeName,
  createChannel,
  createClient,
  createWritableIterable,
  RpcError,
  type CallOptions,
  type Channel,
  type Client,
  type Metadata,
} from "../src/index.js";
import { TestService, UnimplementedService } from "./gen/grpc/testing/test_pb.js";
import type {
  SimpleRequestSchema,
  StreamingInputCallRequestSchema,
  StreamingOutputCallRequestSchema,
  StreamingOutputCallResponse,
} from "./gen/grpc/testing/messages_pb.js";
import { createTestCerts } from "./certs.js";
import { parseClientFlags, type ClientFlags } from "./flags.js";
import { isMain } from "./is-main.js";
import {
  CaseFailure,
  check,
  checkBytes,
  checkCode,
  checkEqual,
  checkZeros,
  CLIENT_COMPRESSED_STREAMING_SIZES,
  CLIENT_STREAMING_SIZES,
  ECHO_INITIAL_KEY,
  ECHO_INITIAL_VALUE,
  ECHO_TRAILING_KEY,
  ECHO_TRAILING_VALUE,
  isTestCase,
  LARGE_REQUEST_SIZE,
  LARGE_RESPONSE_SIZE,
  PING_PONG_REQUEST_SIZES,
  SERVER_COMPRESSED_STREAMING_SIZES,
  SERVER_STREAMING_SIZES,
  SPECIAL_STATUS_MESSAGE,
  Status,
  STATUS_MESSAGE,
  type TestCase,
} from "./test-cases.js";

type SimpleRequestInit = Omit<MessageInitShape<typeof SimpleRequestSchema>, "$typeName">;
type InputInit = MessageInitShape<typeof StreamingInputCallRequestSchema>;
type OutputRequestInit = MessageInitShape<typeof StreamingOutputCallRequestSchema>;
type TestClient = Client<typeof TestService>;

function makeChannel(flags: ClientFlags): Channel {
  const target = `${flags.serverHost}:${flags.serverPort}`;
  if (!flags.useTls) return createChannel(target, { insecure: true });
  return createChannel(target, {
    tls: {
      ...(flags.useTestCa ? { ca: createTestCerts().ca } : {}),
      ...(flags.serverHostOverride ? { serverName: flags.serverHostOverride } : {}),
    },
  });
}

/** Runs `fn`, which must fail with `code`; returns the error. */
async function expectError(fn: () => Promise<unknown>, code: number, what: string): Promise<RpcError> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof RpcError)) throw new CaseFailure(`${what}: failed with a non-RpcError: ${String(e)}`);
    checkCode(e.code, code, what, e.rawMessage);
    return e;
  }
  throw new CaseFailure(`${what}: expected status ${codeName(code as Code)}, the call succeeded`);
}

/** Runs a call that must succeed, turning an RpcError into a CaseFailure that names the call. */
async function ok<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof RpcError) throw new CaseFailure(`${what}: expected status OK, got ${codeName(e.code)} (${JSON.stringify(e.rawMessage)})`);
    throw e;
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

async function* from<T>(items: readonly T[]): AsyncIterable<T> {
  yield* items;
}

const largeRequest = (extra: SimpleRequestInit = {}): SimpleRequestInit => ({
  responseSize: LARGE_RESPONSE_SIZE,
  payload: { body: new Uint8Array(LARGE_REQUEST_SIZE) },
  ...extra,
});

async function largeUnary(client: TestClient, what: string, extra: SimpleRequestInit = {}, o?: CallOptions): Promise<void> {
  const res = await ok(what, () => client.unaryCall(largeRequest(extra), o));
  checkZeros(res.payload?.body, LARGE_RESPONSE_SIZE, what);
}

function echoOptions(got: { header?: Metadata; trailer?: Metadata }): CallOptions {
  return {
    metadata: { [ECHO_INITIAL_KEY]: ECHO_INITIAL_VALUE, [ECHO_TRAILING_KEY]: ECHO_TRAILING_VALUE },
    onHeader: (h) => (got.header = h),
    onTrailer: (t) => (got.trailer = t),
  };
}

function checkEcho(got: { header?: Metadata; trailer?: Metadata }, what: string): void {
  check(got.header, `${what}: onHeader was not called`);
  check(got.trailer, `${what}: onTrailer was not called`);
  checkEqual(got.header.get(ECHO_INITIAL_KEY), ECHO_INITIAL_VALUE, `${what}: initial metadata ${ECHO_INITIAL_KEY}`);
  const t = got.trailer.get(ECHO_TRAILING_KEY);
  check(t === undefined || t instanceof Uint8Array, `${what}: trailing metadata ${ECHO_TRAILING_KEY} is not binary`);
  checkBytes(t, ECHO_TRAILING_VALUE, `${what}: trailing metadata ${ECHO_TRAILING_KEY}`);
}

async function soak(flags: ClientFlags, shared: Channel | undefined): Promise<void> {
  const deadline = Date.now() + flags.soakOverallTimeoutSeconds * 1000;
  const problems: string[] = [];
  for (let i = 0; i < flags.soakIterations && Date.now() < deadline; i++) {
    const channel = shared ?? makeChannel(flags);
    const start = performance.now();
    try {
      await largeUnary(createClient(TestService, channel), `iteration ${i}`);
      const ms = performance.now() - start;
      if (ms > flags.soakPerIterationMaxAcceptableLatencyMs) {
        throw new CaseFailure(`iteration ${i} took ${ms.toFixed(0)} ms, over ${flags.soakPerIterationMaxAcceptableLatencyMs} ms`);
      }
    } catch (e) {
      problems.push((e as Error).message);
    } finally {
      if (!shared) channel.close();
    }
  }
  if (problems.length > flags.soakMaxFailures) {
    throw new CaseFailure(`${problems.length} of ${flags.soakIterations} iterations failed: ${problems.slice(0, 3).join("; ")}`);
  }
}

type CaseFn = (ctx: { flags: ClientFlags; channel: Channel; client: TestClient }) => Promise<void>;

const cases: Record<TestCase, CaseFn> = {
  async empty_unary({ client }) {
    const res = await ok("EmptyCall", () => client.emptyCall({}));
    check(res, "EmptyCall: no response");
  },

  async large_unary({ client }) {
    await largeUnary(client, "UnaryCall");
  },

  async client_streaming({ client }) {
    const reqs: InputInit[] = CLIENT_STREAMING_SIZES.map((n) => ({ payload: { body: new Uint8Array(n) } }));
    const res = await ok("StreamingInputCall", () => client.streamingInputCall(from(reqs)));
    checkEqual(res.aggregatedPayloadSize, 74_922, "aggregated_payload_size");
  },

  async server_streaming({ client }) {
    const msgs = await ok("StreamingOutputCall", () =>
      collect(client.streamingOutputCall({ responseParameters: SERVER_STREAMING_SIZES.map((size) => ({ size })) })),
    );
    checkEqual(msgs.length, SERVER_STREAMING_SIZES.length, "number of responses");
    msgs.forEach((m, i) => checkZeros(m.payload?.body, SERVER_STREAMING_SIZES[i]!, `response ${i}`));
  },

  async ping_pong({ client }) {
    const requests = createWritableIterable<OutputRequestInit>();
    const it = client.fullDuplexCall(requests)[Symbol.asyncIterator]();
    try {
      for (let i = 0; i < PING_PONG_REQUEST_SIZES.length; i++) {
        const sent = requests.write({
          responseParameters: [{ size: SERVER_STREAMING_SIZES[i]! }],
          payload: { body: new Uint8Array(PING_PONG_REQUEST_SIZES[i]!) },
        });
        const r = await ok(`round ${i}`, () => it.next());
        await sent;
        check(!r.done, `round ${i}: stream ended before the response`);
        checkZeros(r.value.payload?.body, SERVER_STREAMING_SIZES[i]!, `round ${i}`);
      }
      requests.close();
      const rest = await ok("FullDuplexCall after half-close", () => it.next());
      check(rest.done, "a fifth response arrived");
    } finally {
      requests.close();
      await it.return?.();
    }
  },

  async empty_stream({ client }) {
    const msgs = await ok("FullDuplexCall", () => collect(client.fullDuplexCall(from<OutputRequestInit>([]))));
    checkEqual(msgs.length, 0, "number of responses");
  },

  async timeout_on_sleeping_server({ client }) {
    const requests = createWritableIterable<OutputRequestInit>();
    void requests.write({ payload: { body: new Uint8Array(27_182) } }).catch(() => {});
    try {
      await expectError(() => collect(client.fullDuplexCall(requests, { timeoutMs: 1 })), Status.DEADLINE_EXCEEDED, "FullDuplexCall");
    } finally {
      requests.close();
    }
  },

  async cancel_after_begin({ client }) {
    const requests = createWritableIterable<InputInit>();
    const abort = new AbortController();
    const call = client.streamingInputCall(requests, { signal: abort.signal });
    abort.abort();
    try {
      await expectError(() => call, Status.CANCELLED, "StreamingInputCall");
    } finally {
      requests.close();
    }
  },

  async cancel_after_first_response({ client }) {
    const requests = createWritableIterable<OutputRequestInit>();
    const abort = new AbortController();
    const it = client.fullDuplexCall(requests, { signal: abort.signal })[Symbol.asyncIterator]();
    try {
      const sent = requests.write({ responseParameters: [{ size: 31_415 }], payload: { body: new Uint8Array(27_182) } });
      const first = await ok("FullDuplexCall first response", () => it.next());
      await sent;
      check(!first.done, "the stream ended before the first response");
      checkZeros(first.value.payload?.body, 31_415, "first response");
      abort.abort();
      await expectError(() => it.next(), Status.CANCELLED, "FullDuplexCall after cancel");
    } finally {
      requests.close();
    }
  },

  async custom_metadata({ client }) {
    const unary: { header?: Metadata; trailer?: Metadata } = {};
    await largeUnary(client, "UnaryCall", {}, echoOptions(unary));
    checkEcho(unary, "UnaryCall");

    const bidi: { header?: Metadata; trailer?: Metadata } = {};
    const req: OutputRequestInit = {
      responseParameters: [{ size: LARGE_RESPONSE_SIZE }],
      payload: { body: new Uint8Array(LARGE_REQUEST_SIZE) },
    };
    const msgs = await ok("FullDuplexCall", () => collect(client.fullDuplexCall(from([req]), echoOptions(bidi))));
    checkEqual(msgs.length, 1, "FullDuplexCall: number of responses");
    checkZeros(msgs[0]!.payload?.body, LARGE_RESPONSE_SIZE, "FullDuplexCall");
    checkEcho(bidi, "FullDuplexCall");
  },

  async status_code_and_message({ client }) {
    const responseStatus = { code: Status.UNKNOWN, message: STATUS_MESSAGE };
    const u = await expectError(() => client.unaryCall({ responseStatus }), Status.UNKNOWN, "UnaryCall");
    checkEqual(u.rawMessage, STATUS_MESSAGE, "UnaryCall status message");
    const b = await expectError(() => collect(client.fullDuplexCall(from<OutputRequestInit>([{ responseStatus }]))), Status.UNKNOWN, "FullDuplexCall");
    checkEqual(b.rawMessage, STATUS_MESSAGE, "FullDuplexCall status message");
  },

  async special_status_message({ client }) {
    const e = await expectError(
      () => client.unaryCall({ responseStatus: { code: Status.UNKNOWN, message: SPECIAL_STATUS_MESSAGE } }),
      Status.UNKNOWN,
      "UnaryCall",
    );
    checkEqual(e.rawMessage, SPECIAL_STATUS_MESSAGE, "UnaryCall status message");
  },

  async unimplemented_method({ client }) {
    await expectError(() => client.unimplementedCall({}), Status.UNIMPLEMENTED, "TestService/UnimplementedCall");
  },

  async unimplemented_service({ channel }) {
    const other = createClient(UnimplementedService, channel);
    await expectError(() => other.unimplementedCall({}), Status.UNIMPLEMENTED, "UnimplementedService/UnimplementedCall");
  },

  async client_compressed_unary({ client }) {
    await expectError(
      () => client.unaryCall(largeRequest({ expectCompressed: { value: true } })),
      Status.INVALID_ARGUMENT,
      "uncompressed probe with expect_compressed",
    );
    await largeUnary(client, "compressed UnaryCall", { expectCompressed: { value: true } }, { compression: "gzip" });
    await largeUnary(client, "uncompressed UnaryCall", { expectCompressed: { value: false } });
  },

  async server_compressed_unary({ client }) {
    // tsgrpc's public API does not show a response message's compressed flag;
    // the suite checks the flag on the wire separately (interop/wire-probe.ts).
    await largeUnary(client, "UnaryCall with response_compressed=true", { responseCompressed: { value: true } });
    await largeUnary(client, "UnaryCall with response_compressed=false", { responseCompressed: { value: false } });
  },

  async client_compressed_streaming({ client }) {
    const [first, second] = CLIENT_COMPRESSED_STREAMING_SIZES;
    await expectError(
      () => client.streamingInputCall(from<InputInit>([{ expectCompressed: { value: true }, payload: { body: new Uint8Array(first) } }])),
      Status.INVALID_ARGUMENT,
      "uncompressed probe with expect_compressed",
    );
    const reqs: InputInit[] = [
      { expectCompressed: { value: true }, payload: { body: new Uint8Array(first) } },
      { expectCompressed: { value: false }, payload: { body: new Uint8Array(second) } },
    ];
    const res = await ok("StreamingInputCall", () =>
      client.streamingInputCall(from(reqs), { compression: "gzip", compressMessage: (_m, i) => i === 0 }),
    );
    checkEqual(res.aggregatedPayloadSize, 73_086, "aggregated_payload_size");
  },

  async server_compressed_streaming({ client }) {
    const msgs: StreamingOutputCallResponse[] = await ok("StreamingOutputCall", () =>
      collect(
        client.streamingOutputCall({
          responseParameters: [
            { size: SERVER_COMPRESSED_STREAMING_SIZES[0], compressed: { value: true } },
            { size: SERVER_COMPRESSED_STREAMING_SIZES[1], compressed: { value: false } },
          ],
        }),
      ),
    );
    checkEqual(msgs.length, 2, "number of responses");
    msgs.forEach((m, i) => checkZeros(m.payload?.body, SERVER_COMPRESSED_STREAMING_SIZES[i]!, `response ${i}`));
  },

  async rpc_soak({ flags, channel }) {
    await soak(flags, channel);
  },

  async channel_soak({ flags }) {
    await soak(flags, undefined);
  },

  async concurrent_large_unary({ flags, client }) {
    const calls = Array.from({ length: flags.concurrentCalls }, (_, i) => largeUnary(client, `call ${i}`));
    const failed = (await Promise.allSettled(calls)).filter((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed.length > 0) {
      throw new CaseFailure(`${failed.length} of ${calls.length} calls failed; first: ${(failed[0]!.reason as Error).message}`);
    }
  },
};

/** Runs one case with tsgrpc; throws CaseFailure (or another error) when it fails. */
export async function runTsgrpcCase(flags: ClientFlags): Promise<void> {
  if (!isTestCase(flags.testCase)) throw new CaseFailure(`unknown test case ${flags.testCase}`);
  const channel = makeChannel(flags);
  try {
    await cases[flags.testCase]({ flags, channel, client: createClient(TestService, channel) });
  } finally {
    channel.close();
  }
}

if (isMain(import.meta.url)) {
  let flags: ClientFlags;
  try {
    flags = parseClientFlags(process.argv.slice(2));
  } catch (e) {
    console.error(`usage error: ${(e as Error).message}`);
    process.exit(2);
  }
  const timer = setTimeout(() => {
    console.error(`FAIL ${flags.testCase}: no result within 60 s`);
    process.exit(1);
  }, 60_000);
  timer.unref();
  runTsgrpcCase(flags).then(
    () => {
      console.log(`PASS ${flags.testCase}`);
      process.exit(0);
    },
    (e: Error) => {
      console.error(`FAIL ${flags.testCase}: ${e instanceof CaseFailure ? e.message : (e.stack ?? e)}`);
      process.exit(1);
    },
  );
}
