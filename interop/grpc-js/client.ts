/**
 * Interop client on @grpc/grpc-js: a reference peer for tsgrpc's server.
 *
 *   node --import tsx interop/grpc-js/client.ts --server_host=127.0.0.1 --server_port=8080 \
 *     --test_case=large_unary [--use_tls=true --use_test_ca=true --server_host_override=foo.test.google.fr]
 *
 * Exits 0 when the case passed; otherwise prints what differed and exits 1.
 * grpc-js cannot see the compressed flag of received messages, so the
 * server_compressed_* cases here check sizes only.
 */
import grpc from "@grpc/grpc-js";
import type { Client, ClientDuplexStream, ClientReadableStream, ClientWritableStream, Metadata as GrpcMetadata, ServiceError, StatusObject } from "@grpc/grpc-js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { TestService, UnimplementedService } from "../gen/grpc/testing/test_pb.js";
import type {
  SimpleRequestSchema,
  SimpleResponse,
  StreamingInputCallRequestSchema,
  StreamingInputCallResponse,
  StreamingOutputCallRequestSchema,
  StreamingOutputCallResponse,
} from "../gen/grpc/testing/messages_pb.js";
import { createTestCerts } from "../certs.js";
import { parseClientFlags, type ClientFlags } from "../flags.js";
import { isMain } from "../is-main.js";
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
} from "../test-cases.js";
import { grpcJsService } from "./service-definition.js";

type SimpleRequestInit = Omit<MessageInitShape<typeof SimpleRequestSchema>, "$typeName">;
type InputInit = MessageInitShape<typeof StreamingInputCallRequestSchema>;
type OutputRequestInit = MessageInitShape<typeof StreamingOutputCallRequestSchema>;

/** grpc-js write flag that turns compression off for one message. */
const NO_COMPRESS = 2 as unknown as BufferEncoding;
const GZIP = 2; // grpc-js compression algorithm id

const TestClient = grpc.makeGenericClientConstructor(grpcJsService(TestService), "TestService");
const UnimplementedClient = grpc.makeGenericClientConstructor(grpcJsService(UnimplementedService), "UnimplementedService");

/** What a finished call produced. */
interface Outcome<T> {
  messages: T[];
  header: GrpcMetadata | undefined;
  status: StatusObject;
}

interface CallOpts {
  metadata?: GrpcMetadata;
  deadlineMs?: number;
}

function makeClient(flags: ClientFlags, ctor = TestClient, compress = false): Client {
  let creds = grpc.credentials.createInsecure();
  if (flags.useTls) {
    creds = grpc.credentials.createSsl(flags.useTestCa ? createTestCerts().ca : null);
  }
  const options: Record<string, unknown> = {};
  if (flags.serverHostOverride) {
    options["grpc.ssl_target_name_override"] = flags.serverHostOverride;
    options["grpc.default_authority"] = flags.serverHostOverride;
  }
  if (compress) options["grpc.default_compression_algorithm"] = GZIP;
  return new ctor(`${flags.serverHost}:${flags.serverPort}`, creds, options);
}

function callOptions(o: CallOpts): grpc.CallOptions {
  return o.deadlineMs === undefined ? {} : { deadline: Date.now() + o.deadlineMs };
}

type AnyCall = { on(ev: string, fn: (...a: never[]) => void): unknown };

/** Resolves once the call's status has arrived, with everything it saw. */
function track<T>(call: AnyCall): Promise<Outcome<T>> {
  const messages: T[] = [];
  let header: GrpcMetadata | undefined;
  call.on("metadata", (md: GrpcMetadata) => (header = md));
  call.on("data", (m: T) => messages.push(m));
  call.on("error", () => {}); // the status event carries the outcome
  return new Promise((resolve) => call.on("status", (status: StatusObject) => resolve({ messages, header, status })));
}

function unary<Res>(client: Client, method: string, req: object, o: CallOpts = {}): Promise<Outcome<Res>> {
  return new Promise((resolve) => {
    let response: Res | undefined;
    let status: StatusObject | undefined;
    let header: GrpcMetadata | undefined;
    const finish = () => status && resolve({ messages: response === undefined ? [] : [response], header, status });
    const fn = (client as unknown as Record<string, Function>)[method]!;
    const call = fn.call(client, req, o.metadata ?? new grpc.Metadata(), callOptions(o), (err: ServiceError | null, res?: Res) => {
      if (!err) response = res;
    }) as AnyCall;
    call.on("metadata", (md: GrpcMetadata) => (header = md));
    call.on("status", (s: StatusObject) => {
      status = s;
      // The callback runs before the status event; give it the same tick.
      queueMicrotask(finish);
    });
  });
}

function stub(client: Client): Record<string, (...args: unknown[]) => unknown> {
  return client as unknown as Record<string, (...args: unknown[]) => unknown>;
}

function expectOk<T>(o: Outcome<T>, what: string): T[] {
  checkCode(o.status.code, Status.OK, what, o.status.details);
  return o.messages;
}

function one<T>(o: Outcome<T>, what: string): T {
  const msgs = expectOk(o, what);
  checkEqual(msgs.length, 1, `${what}: number of responses`);
  return msgs[0]!;
}

const largeRequest = (extra: SimpleRequestInit = {}): SimpleRequestInit => ({
  responseSize: LARGE_RESPONSE_SIZE,
  payload: { body: new Uint8Array(LARGE_REQUEST_SIZE) },
  ...extra,
});

async function largeUnary(client: Client, what: string, extra: SimpleRequestInit = {}, o: CallOpts = {}): Promise<Outcome<SimpleResponse>> {
  const out = await unary<SimpleResponse>(client, "unaryCall", largeRequest(extra), o);
  const res = one(out, what);
  checkZeros(res.payload?.body, LARGE_RESPONSE_SIZE, what);
  return out;
}

function end(call: { end(): void }) {
  call.end();
}

function echoMetadata(): GrpcMetadata {
  const md = new grpc.Metadata();
  md.set(ECHO_INITIAL_KEY, ECHO_INITIAL_VALUE);
  md.set(ECHO_TRAILING_KEY, Buffer.from(ECHO_TRAILING_VALUE));
  return md;
}

function checkEcho(o: Outcome<unknown>, what: string): void {
  const initial = o.header?.get(ECHO_INITIAL_KEY) ?? [];
  checkEqual(initial[0] as string | undefined, ECHO_INITIAL_VALUE, `${what}: initial metadata ${ECHO_INITIAL_KEY}`);
  const trailing = o.status.metadata.get(ECHO_TRAILING_KEY);
  checkBytes(trailing[0] as Buffer | undefined, ECHO_TRAILING_VALUE, `${what}: trailing metadata ${ECHO_TRAILING_KEY}`);
}

async function soak(flags: ClientFlags, newChannel: boolean): Promise<void> {
  const shared = newChannel ? undefined : makeClient(flags);
  const deadline = Date.now() + flags.soakOverallTimeoutSeconds * 1000;
  let failures = 0;
  const problems: string[] = [];
  try {
    for (let i = 0; i < flags.soakIterations && Date.now() < deadline; i++) {
      const client = shared ?? makeClient(flags);
      const start = performance.now();
      try {
        await largeUnary(client, `iteration ${i}`);
        const ms = performance.now() - start;
        if (ms > flags.soakPerIterationMaxAcceptableLatencyMs) {
          throw new CaseFailure(`iteration ${i} took ${ms.toFixed(0)} ms, over ${flags.soakPerIterationMaxAcceptableLatencyMs} ms`);
        }
      } catch (e) {
        failures++;
        problems.push((e as Error).message);
      } finally {
        if (!shared) client.close();
      }
    }
  } finally {
    shared?.close();
  }
  if (failures > flags.soakMaxFailures) {
    throw new CaseFailure(`${failures} of ${flags.soakIterations} iterations failed: ${problems.slice(0, 3).join("; ")}`);
  }
}

const cases: Record<TestCase, (flags: ClientFlags, client: Client) => Promise<void>> = {
  async empty_unary(_f, client) {
    one(await unary(client, "emptyCall", {}), "EmptyCall");
  },

  async large_unary(_f, client) {
    await largeUnary(client, "UnaryCall");
  },

  async client_streaming(_f, client) {
    let res: StreamingInputCallResponse | undefined;
    const call = stub(client)["streamingInputCall"]!((e: unknown, r: StreamingInputCallResponse) => (res = r)) as ClientWritableStream<InputInit>;
    const done = track(call);
    for (const size of CLIENT_STREAMING_SIZES) call.write({ payload: { body: new Uint8Array(size) } });
    end(call);
    const out = await done;
    expectOk(out, "StreamingInputCall");
    checkEqual(res?.aggregatedPayloadSize, 74_922, "aggregated_payload_size");
  },

  async server_streaming(_f, client) {
    const call = stub(client)["streamingOutputCall"]!({
      responseParameters: SERVER_STREAMING_SIZES.map((size) => ({ size })),
    }) as ClientReadableStream<StreamingOutputCallResponse>;
    const msgs = expectOk(await track<StreamingOutputCallResponse>(call), "StreamingOutputCall");
    checkEqual(msgs.length, SERVER_STREAMING_SIZES.length, "number of responses");
    msgs.forEach((m, i) => checkZeros(m.payload?.body, SERVER_STREAMING_SIZES[i]!, `response ${i}`));
  },

  async ping_pong(_f, client) {
    const call = stub(client)["fullDuplexCall"]!() as ClientDuplexStream<OutputRequestInit, StreamingOutputCallResponse>;
    const done = track<StreamingOutputCallResponse>(call);
    const it = call[Symbol.asyncIterator]() as AsyncIterator<StreamingOutputCallResponse>;
    for (let i = 0; i < PING_PONG_REQUEST_SIZES.length; i++) {
      call.write({ responseParameters: [{ size: SERVER_STREAMING_SIZES[i]! }], payload: { body: new Uint8Array(PING_PONG_REQUEST_SIZES[i]!) } });
      const r = await it.next().catch((e: ServiceError) => {
        throw new CaseFailure(`round ${i}: call failed with code ${e.code}: ${e.details}`);
      });
      check(!r.done, `round ${i}: stream ended before the response`);
      checkZeros(r.value.payload?.body, SERVER_STREAMING_SIZES[i]!, `round ${i}`);
    }
    end(call);
    const rest = await it.next();
    check(rest.done, "a fifth response arrived");
    expectOk(await done, "FullDuplexCall");
  },

  async empty_stream(_f, client) {
    const call = stub(client)["fullDuplexCall"]!() as ClientDuplexStream<OutputRequestInit, StreamingOutputCallResponse>;
    const done = track(call);
    end(call);
    checkEqual(expectOk(await done, "FullDuplexCall").length, 0, "number of responses");
  },

  async timeout_on_sleeping_server(_f, client) {
    const call = stub(client)["fullDuplexCall"]!(new grpc.Metadata(), { deadline: Date.now() + 1 }) as ClientDuplexStream<OutputRequestInit, unknown>;
    const done = track(call);
    call.write({ payload: { body: new Uint8Array(27_182) } });
    const out = await done;
    checkCode(out.status.code, Status.DEADLINE_EXCEEDED, "FullDuplexCall", out.status.details);
  },

  async cancel_after_begin(_f, client) {
    const call = stub(client)["streamingInputCall"]!(() => {}) as ClientWritableStream<InputInit>;
    const done = track(call);
    call.cancel();
    const out = await done;
    checkCode(out.status.code, Status.CANCELLED, "StreamingInputCall", out.status.details);
  },

  async cancel_after_first_response(_f, client) {
    const call = stub(client)["fullDuplexCall"]!() as ClientDuplexStream<OutputRequestInit, StreamingOutputCallResponse>;
    const done = track(call);
    const first = new Promise<void>((resolve) => call.once("data", () => resolve()));
    call.write({ responseParameters: [{ size: 31_415 }], payload: { body: new Uint8Array(27_182) } });
    await Promise.race([first, done]);
    call.cancel();
    const out = await done;
    checkEqual(out.messages.length >= 1, true, "received a first response");
    checkCode(out.status.code, Status.CANCELLED, "FullDuplexCall", out.status.details);
  },

  async custom_metadata(_f, client) {
    const u = await largeUnary(client, "UnaryCall", {}, { metadata: echoMetadata() });
    checkEcho(u, "UnaryCall");
    const call = stub(client)["fullDuplexCall"]!(echoMetadata()) as ClientDuplexStream<OutputRequestInit, StreamingOutputCallResponse>;
    const done = track<StreamingOutputCallResponse>(call);
    call.write({ responseParameters: [{ size: LARGE_RESPONSE_SIZE }], payload: { body: new Uint8Array(LARGE_REQUEST_SIZE) } });
    end(call);
    const out = await done;
    const msgs = expectOk(out, "FullDuplexCall");
    checkEqual(msgs.length, 1, "FullDuplexCall: number of responses");
    checkZeros(msgs[0]!.payload?.body, LARGE_RESPONSE_SIZE, "FullDuplexCall");
    checkEcho(out, "FullDuplexCall");
  },

  async status_code_and_message(_f, client) {
    const responseStatus = { code: Status.UNKNOWN, message: STATUS_MESSAGE };
    const u = await unary(client, "unaryCall", { responseStatus });
    checkCode(u.status.code, Status.UNKNOWN, "UnaryCall", u.status.details);
    checkEqual(u.status.details, STATUS_MESSAGE, "UnaryCall status message");
    const call = stub(client)["fullDuplexCall"]!() as ClientDuplexStream<OutputRequestInit, unknown>;
    const done = track(call);
    call.write({ responseStatus });
    end(call);
    const out = await done;
    checkCode(out.status.code, Status.UNKNOWN, "FullDuplexCall", out.status.details);
    checkEqual(out.status.details, STATUS_MESSAGE, "FullDuplexCall status message");
  },

  async special_status_message(_f, client) {
    const u = await unary(client, "unaryCall", { responseStatus: { code: Status.UNKNOWN, message: SPECIAL_STATUS_MESSAGE } });
    checkCode(u.status.code, Status.UNKNOWN, "UnaryCall", u.status.details);
    checkEqual(u.status.details, SPECIAL_STATUS_MESSAGE, "UnaryCall status message");
  },

  async unimplemented_method(_f, client) {
    const u = await unary(client, "unimplementedCall", {});
    checkCode(u.status.code, Status.UNIMPLEMENTED, "TestService/UnimplementedCall", u.status.details);
  },

  async unimplemented_service(flags) {
    const client = makeClient(flags, UnimplementedClient);
    try {
      const u = await unary(client, "unimplementedCall", {});
      checkCode(u.status.code, Status.UNIMPLEMENTED, "UnimplementedService/UnimplementedCall", u.status.details);
    } finally {
      client.close();
    }
  },

  async client_compressed_unary(flags, client) {
    const probe = await unary(client, "unaryCall", largeRequest({ expectCompressed: { value: true } }));
    checkCode(probe.status.code, Status.INVALID_ARGUMENT, "uncompressed probe with expect_compressed", probe.status.details);
    const gz = makeClient(flags, TestClient, true);
    try {
      await largeUnary(gz, "compressed UnaryCall", { expectCompressed: { value: true } });
    } finally {
      gz.close();
    }
    await largeUnary(client, "uncompressed UnaryCall", { expectCompressed: { value: false } });
  },

  async server_compressed_unary(_f, client) {
    await largeUnary(client, "UnaryCall with response_compressed=true", { responseCompressed: { value: true } });
    await largeUnary(client, "UnaryCall with response_compressed=false", { responseCompressed: { value: false } });
  },

  async client_compressed_streaming(flags, client) {
    const probeCall = stub(client)["streamingInputCall"]!(() => {}) as ClientWritableStream<InputInit>;
    const probeDone = track(probeCall);
    probeCall.write({ expectCompressed: { value: true }, payload: { body: new Uint8Array(CLIENT_COMPRESSED_STREAMING_SIZES[0]) } });
    end(probeCall);
    const probe = await probeDone;
    checkCode(probe.status.code, Status.INVALID_ARGUMENT, "uncompressed probe with expect_compressed", probe.status.details);

    const gz = makeClient(flags, TestClient, true);
    try {
      let res: StreamingInputCallResponse | undefined;
      const call = stub(gz)["streamingInputCall"]!((e: unknown, r: StreamingInputCallResponse) => (res = r)) as ClientWritableStream<InputInit>;
      const done = track(call);
      call.write({ expectCompressed: { value: true }, payload: { body: new Uint8Array(CLIENT_COMPRESSED_STREAMING_SIZES[0]) } });
      call.write({ expectCompressed: { value: false }, payload: { body: new Uint8Array(CLIENT_COMPRESSED_STREAMING_SIZES[1]) } }, NO_COMPRESS);
      end(call);
      expectOk(await done, "StreamingInputCall");
      checkEqual(res?.aggregatedPayloadSize, 73_086, "aggregated_payload_size");
    } finally {
      gz.close();
    }
  },

  async server_compressed_streaming(_f, client) {
    const call = stub(client)["streamingOutputCall"]!({
      responseParameters: [
        { size: SERVER_COMPRESSED_STREAMING_SIZES[0], compressed: { value: true } },
        { size: SERVER_COMPRESSED_STREAMING_SIZES[1], compressed: { value: false } },
      ],
    }) as ClientReadableStream<StreamingOutputCallResponse>;
    const msgs = expectOk(await track<StreamingOutputCallResponse>(call), "StreamingOutputCall");
    checkEqual(msgs.length, 2, "number of responses");
    msgs.forEach((m, i) => checkZeros(m.payload?.body, SERVER_COMPRESSED_STREAMING_SIZES[i]!, `response ${i}`));
  },

  async rpc_soak(flags) {
    await soak(flags, false);
  },

  async channel_soak(flags) {
    await soak(flags, true);
  },

  async concurrent_large_unary(flags, client) {
    const calls = Array.from({ length: flags.concurrentCalls }, (_, i) => largeUnary(client, `call ${i}`));
    const results = await Promise.allSettled(calls);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed.length > 0) {
      throw new CaseFailure(`${failed.length} of ${calls.length} calls failed; first: ${(failed[0]!.reason as Error).message}`);
    }
  },
};

/** Runs one case with grpc-js; throws CaseFailure (or another error) when it fails. */
export async function runGrpcJsCase(flags: ClientFlags): Promise<void> {
  if (!isTestCase(flags.testCase)) throw new CaseFailure(`unknown test case ${flags.testCase}`);
  const client = makeClient(flags);
  try {
    await cases[flags.testCase](flags, client);
  } finally {
    client.close();
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
  runGrpcJsCase(flags).then(
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
