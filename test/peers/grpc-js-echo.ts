// The EchoService on @grpc/grpc-js, both ways: a grpc-js server that
// behaves like test/e2e/echo-service.ts, and a grpc-js client wrapped in
// tsgrpc's client shape, so one contract suite runs against every pairing.
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { Code, Metadata, RpcError, type CallOptions, type Client } from "../../src/index.js";
import { grpcJsService } from "../../interop/grpc-js/service-definition.js";
import { EchoService, EchoRequestSchema, EchoResponseSchema, type EchoRequest, type EchoResponse } from "../gen/tsgrpc/test/v1/echo_pb.js";

const definition = grpcJsService(EchoService);

export function toGrpcJsMetadata(md: Metadata): grpc.Metadata {
  const out = new grpc.Metadata();
  for (const [k, v] of md) out.add(k, typeof v === "string" ? v : Buffer.from(v));
  return out;
}

export function fromGrpcJsMetadata(m: grpc.Metadata | undefined): Metadata {
  const md = new Metadata();
  if (!m) return md;
  for (const [k, values] of Object.entries(m.toJSON())) {
    for (const v of values as (string | Buffer)[]) md.append(k, typeof v === "string" ? v : new Uint8Array(v));
  }
  return md;
}

function errorFrom(e: grpc.ServiceError): RpcError {
  return new RpcError(e.code as number as Code, e.details, { metadata: fromGrpcJsMetadata(e.metadata) });
}

function echoMetadata(call: { metadata: grpc.Metadata; sendMetadata(m: grpc.Metadata): void }): grpc.Metadata {
  const header = new grpc.Metadata();
  const trailer = new grpc.Metadata();
  for (const [k, values] of Object.entries(call.metadata.toJSON())) {
    for (const v of values as (string | Buffer)[]) {
      if (k.startsWith("x-header-")) header.add(k, v);
      else if (k.startsWith("x-trailer-")) trailer.add(k, v);
    }
  }
  call.sendMetadata(header);
  return trailer;
}

function payloadFor(req: EchoRequest): Uint8Array {
  return req.responseSize > 0 ? new Uint8Array(req.responseSize).fill(0x61) : req.payload;
}

function failStatus(req: EchoRequest, trailer: grpc.Metadata): Partial<grpc.StatusObject> {
  return { code: req.failCode, details: req.failMessage, metadata: trailer };
}

/**
 * Starts a grpc-js server with the EchoService on a free loopback port;
 * `setup` may add services of its own (a health service) before it binds.
 */
export async function startGrpcJsEchoServer(
  options: grpc.ServerOptions = {},
  setup?: (server: grpc.Server) => void,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = new grpc.Server(options);
  setup?.(server);
  server.addService(definition, {
    unary(call: grpc.ServerUnaryCall<EchoRequest, EchoResponse>, cb: grpc.sendUnaryData<object>) {
      const req = call.request;
      const trailer = echoMetadata(call);
      const finish = () => {
        if (req.failCode) cb(failStatus(req, trailer));
        else cb(null, { payload: payloadFor(req) }, trailer);
      };
      if (req.sleepMs > 0) {
        const t = setTimeout(finish, req.sleepMs);
        call.on("cancelled", () => clearTimeout(t));
      } else finish();
    },
    async serverStream(call: grpc.ServerWritableStream<EchoRequest, EchoResponse>) {
      const req = call.request;
      const trailer = echoMetadata(call);
      let cancelled = false;
      call.on("cancelled", () => (cancelled = true));
      for (let i = 0; i < req.responseCount && !cancelled; i++) {
        if (req.failCode && i === req.failAfter) {
          call.emit("error", failStatus(req, trailer));
          return;
        }
        if (req.sleepMs > 0) await new Promise((r) => setTimeout(r, req.sleepMs));
        if (!call.write(create(EchoResponseSchema, { payload: payloadFor(req), index: i }))) await new Promise((r) => call.once("drain", r));
      }
      if (req.failCode) call.emit("error", failStatus(req, trailer));
      else call.end(trailer);
    },
    clientStream(call: grpc.ServerReadableStream<EchoRequest, EchoResponse>, cb: grpc.sendUnaryData<object>) {
      const trailer = echoMetadata(call);
      let count = 0;
      let bytes = 0;
      let failed = false;
      call.on("data", (r: EchoRequest) => {
        if (failed) return;
        if (r.failCode) {
          failed = true;
          cb(failStatus(r, trailer));
          return;
        }
        count++;
        bytes += r.payload.byteLength;
      });
      call.on("end", () => {
        if (!failed) cb(null, { receivedCount: count, receivedBytes: BigInt(bytes) }, trailer);
      });
    },
    bidi(call: grpc.ServerDuplexStream<EchoRequest, EchoResponse>) {
      const trailer = echoMetadata(call);
      let i = 0;
      let failed = false;
      call.on("data", (r: EchoRequest) => {
        if (failed) return;
        if (r.failCode) {
          failed = true;
          call.emit("error", failStatus(r, trailer));
          return;
        }
        call.write(create(EchoResponseSchema, { payload: payloadFor(r), index: i++ }));
      });
      call.on("end", () => {
        if (!failed) call.end(trailer);
      });
    },
  } as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return {
    port,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

type EchoClient = Client<typeof EchoService>;

function grpcOptions(o: CallOptions | undefined): grpc.CallOptions {
  const out: grpc.CallOptions = {};
  if (o?.timeoutMs !== undefined) out.deadline = Date.now() + o.timeoutMs;
  return out;
}

/** Wires a grpc-js call's metadata/status events to tsgrpc's onHeader/onTrailer and signal. */
function hook(call: grpc.Call, o: CallOptions | undefined): void {
  call.on("metadata", (m: grpc.Metadata) => o?.onHeader?.(fromGrpcJsMetadata(m)));
  call.on("status", (s: grpc.StatusObject) => o?.onTrailer?.(fromGrpcJsMetadata(s.metadata)));
  if (o?.signal) {
    if (o.signal.aborted) call.cancel();
    else o.signal.addEventListener("abort", () => call.cancel(), { once: true });
  }
}

async function* readAll(call: grpc.ClientReadableStream<EchoResponse>): AsyncIterable<EchoResponse> {
  try {
    for await (const m of call) yield m as EchoResponse;
  } catch (e) {
    throw errorFrom(e as grpc.ServiceError);
  } finally {
    call.cancel();
  }
}

async function writeAll(call: grpc.ClientWritableStream<EchoRequest>, source: AsyncIterable<object>): Promise<void> {
  try {
    for await (const init of source) {
      if (!call.write(create(EchoRequestSchema, init as never))) await new Promise((r) => call.once("drain", r));
    }
    call.end();
  } catch {
    call.cancel();
  }
}

/** A grpc-js client in the shape of tsgrpc's `Client<typeof EchoService>`, to a loopback port or a grpc-js target (`ipv4:…`). */
export function createGrpcJsEchoClient(port: number | string, channelOptions: grpc.ChannelOptions = {}): { client: EchoClient; close(): void } {
  const Ctor = grpc.makeGenericClientConstructor(definition, "EchoService");
  const c = new Ctor(typeof port === "string" ? port : `127.0.0.1:${port}`, grpc.credentials.createInsecure(), channelOptions) as unknown as Record<string, Function> & grpc.Client;
  const md = (o?: CallOptions) => toGrpcJsMetadata(new Metadata(o?.metadata));
  const client: EchoClient = {
    unary: (req, o) =>
      new Promise((resolve, reject) => {
        const call = c.unary(create(EchoRequestSchema, req), md(o), grpcOptions(o), (e: grpc.ServiceError | null, res: EchoResponse) =>
          e ? reject(errorFrom(e)) : resolve(res),
        );
        hook(call, o);
      }),
    serverStream: (req, o) => {
      const call = c.serverStream(create(EchoRequestSchema, req), md(o), grpcOptions(o));
      hook(call, o);
      return readAll(call);
    },
    clientStream: (reqs, o) =>
      new Promise((resolve, reject) => {
        const call = c.clientStream(md(o), grpcOptions(o), (e: grpc.ServiceError | null, res: EchoResponse) =>
          e ? reject(errorFrom(e)) : resolve(res),
        );
        hook(call, o);
        void writeAll(call, reqs);
      }),
    bidi: (reqs, o) => {
      const call = c.bidi(md(o), grpcOptions(o));
      hook(call, o);
      void writeAll(call, reqs);
      return readAll(call);
    },
  };
  return { client, close: () => c.close() };
}
