/**
 * Interop server on @grpc/grpc-js: a reference peer for tsgrpc's client.
 *
 *   node --import tsx interop/grpc-js/server.ts --port=8080 [--use_tls=true]
 *
 * Implements grpc.testing.TestService as the gRPC interop description's
 * "Server" section asks. Prints `listening on 127.0.0.1:PORT` once bound
 * (`--port=0` picks a free port).
 */
import grpc from "@grpc/grpc-js";
import type {
  Metadata as GrpcMetadata,
  sendUnaryData,
  ServerDuplexStream,
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
  UntypedServiceImplementation,
} from "@grpc/grpc-js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { TestService } from "../gen/grpc/testing/test_pb.js";
import {
  PayloadType,
  type SimpleRequest,
  type StreamingInputCallRequest,
  type StreamingOutputCallRequest,
  type EchoStatus,
  type ResponseParameters,
  StreamingOutputCallResponseSchema,
} from "../gen/grpc/testing/messages_pb.js";
import { createTestCerts } from "../certs.js";
import { parseServerFlags } from "../flags.js";
import { isMain } from "../is-main.js";
import { ECHO_INITIAL_KEY, ECHO_TRAILING_KEY, Status } from "../test-cases.js";
import { grpcJsService } from "./service-definition.js";
import { compressResponse, GZIP_HEADER, installWireCompression, wasRequestCompressed } from "./wire-compression.js";

type AnyCall = { metadata: GrpcMetadata; sendMetadata(md: GrpcMetadata): void };
type StreamingOutputInit = MessageInitShape<typeof StreamingOutputCallResponseSchema>;

/** Sends the response header: the echoed initial metadata, plus grpc-encoding when compressing. */
function sendHeader(call: AnyCall, gzip = false): void {
  const md = new grpc.Metadata();
  for (const v of call.metadata.get(ECHO_INITIAL_KEY)) md.add(ECHO_INITIAL_KEY, v);
  if (gzip) md.set(...GZIP_HEADER);
  call.sendMetadata(md);
}

function echoTrailer(call: AnyCall): GrpcMetadata {
  const md = new grpc.Metadata();
  for (const v of call.metadata.get(ECHO_TRAILING_KEY)) md.add(ECHO_TRAILING_KEY, v);
  return md;
}

function statusError(call: AnyCall, code: number, details: string): grpc.ServerErrorResponse {
  return Object.assign(new Error(details), { code, details, metadata: echoTrailer(call) });
}

/** The error that response_status asks for, if any. */
function requestedStatus(call: AnyCall, st: EchoStatus | undefined): grpc.ServerErrorResponse | undefined {
  if (!st || st.code === Status.OK) return undefined;
  return statusError(call, st.code, st.message);
}

function compressionError(call: AnyCall, req: { expectCompressed?: { value: boolean } }): grpc.ServerErrorResponse | undefined {
  if (req.expectCompressed?.value && wasRequestCompressed(req) === false) {
    return statusError(call, Status.INVALID_ARGUMENT, "expected a compressed request message");
  }
  return undefined;
}

function payload(size: number) {
  return { type: PayloadType.COMPRESSABLE, body: new Uint8Array(size) };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function write<T>(call: ServerWritableStream<T, object> | ServerDuplexStream<T, object>, msg: object): Promise<void> {
  return new Promise((resolve, reject) => {
    call.write(msg, (err?: Error | null) => (err ? reject(err) : resolve()));
  });
}

async function sendStreamed(
  call: ServerWritableStream<StreamingOutputCallRequest, object> | ServerDuplexStream<StreamingOutputCallRequest, object>,
  params: readonly ResponseParameters[],
): Promise<void> {
  for (const p of params) {
    if (p.intervalUs > 0) await sleep(p.intervalUs / 1000);
    if (call.cancelled) return;
    const msg: StreamingOutputInit = { payload: payload(p.size) };
    await write(call, p.compressed?.value ? compressResponse(msg) : msg);
  }
}

const impl: UntypedServiceImplementation = {
  emptyCall(call: ServerUnaryCall<object, object>, cb: sendUnaryData<object>) {
    sendHeader(call);
    cb(null, {}, echoTrailer(call));
  },

  unaryCall(call: ServerUnaryCall<SimpleRequest, object>, cb: sendUnaryData<object>) {
    const req = call.request;
    const gzip = req.responseCompressed?.value === true;
    sendHeader(call, gzip);
    const err = compressionError(call, req) ?? requestedStatus(call, req.responseStatus);
    if (err) return cb(err);
    if (req.responseType !== PayloadType.COMPRESSABLE) {
      return cb(statusError(call, Status.INVALID_ARGUMENT, "unsupported response_type"));
    }
    const res = { payload: payload(req.responseSize) };
    cb(null, gzip ? compressResponse(res) : res, echoTrailer(call));
  },

  cacheableUnaryCall(call: ServerUnaryCall<SimpleRequest, object>, cb: sendUnaryData<object>) {
    sendHeader(call);
    const body = new TextEncoder().encode(String(process.hrtime.bigint()));
    cb(null, { payload: { type: PayloadType.COMPRESSABLE, body } }, echoTrailer(call));
  },

  async streamingOutputCall(call: ServerWritableStream<StreamingOutputCallRequest, object>) {
    const req = call.request;
    sendHeader(call, req.responseParameters.some((p) => p.compressed?.value));
    try {
      const err = requestedStatus(call, req.responseStatus);
      if (err) return void call.emit("error", err);
      await sendStreamed(call, req.responseParameters);
      call.end(echoTrailer(call));
    } catch (e) {
      if (!call.cancelled) call.emit("error", e);
    }
  },

  streamingInputCall(call: ServerReadableStream<StreamingInputCallRequest, object>, cb: sendUnaryData<object>) {
    sendHeader(call);
    let total = 0;
    let failed = false;
    call.on("data", (req: StreamingInputCallRequest) => {
      if (failed) return;
      const err = compressionError(call, req);
      if (err) {
        failed = true;
        return cb(err);
      }
      total += req.payload?.body.length ?? 0;
    });
    call.on("end", () => {
      if (!failed) cb(null, { aggregatedPayloadSize: total }, echoTrailer(call));
    });
    call.on("error", () => {});
  },

  fullDuplexCall(call: ServerDuplexStream<StreamingOutputCallRequest, object>) {
    sendHeader(call);
    // Answer each request in arrival order; the chain keeps responses ordered.
    let chain = Promise.resolve();
    let done = false;
    const step = (fn: () => Promise<void> | void) => {
      chain = chain
        .then(() => (done ? undefined : fn()))
        .catch((e: unknown) => {
          if (!done && !call.cancelled) call.emit("error", e);
          done = true;
        });
    };
    call.on("data", (req: StreamingOutputCallRequest) =>
      step(async () => {
        const err = requestedStatus(call, req.responseStatus);
        if (err) {
          done = true;
          return void call.emit("error", err);
        }
        await sendStreamed(call, req.responseParameters);
      }),
    );
    call.on("end", () =>
      step(() => {
        done = true;
        call.end(echoTrailer(call));
      }),
    );
    call.on("error", () => {});
  },

  halfDuplexCall(call: ServerDuplexStream<StreamingOutputCallRequest, object>) {
    sendHeader(call);
    const requests: StreamingOutputCallRequest[] = [];
    call.on("data", (req: StreamingOutputCallRequest) => requests.push(req));
    call.on("error", () => {});
    call.on("end", async () => {
      try {
        for (const req of requests) {
          const err = requestedStatus(call, req.responseStatus);
          if (err) return void call.emit("error", err);
          await sendStreamed(call, req.responseParameters);
        }
        call.end(echoTrailer(call));
      } catch (e) {
        if (!call.cancelled) call.emit("error", e);
      }
    });
  },
  // unimplementedCall is left out on purpose: grpc-js answers UNIMPLEMENTED.
};

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

/** Starts the grpc-js interop server in this process. */
export async function startGrpcJsServer(opts: { port?: number; useTls?: boolean; host?: string } = {}): Promise<RunningServer> {
  installWireCompression();
  const server = new grpc.Server();
  const { unimplementedCall: _omit, ...served } = grpcJsService(TestService);
  server.addService(served, impl);
  let creds = grpc.ServerCredentials.createInsecure();
  if (opts.useTls) {
    const certs = createTestCerts();
    creds = grpc.ServerCredentials.createSsl(null, [{ private_key: certs.key, cert_chain: certs.cert }]);
  }
  const host = opts.host ?? "127.0.0.1";
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${opts.port ?? 0}`, creds, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.forceShutdown(), 2000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

async function main(): Promise<void> {
  const flags = parseServerFlags(process.argv.slice(2));
  const server = await startGrpcJsServer({ port: flags.port, useTls: flags.useTls });
  console.log(`listening on 127.0.0.1:${server.port}`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

if (isMain(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
