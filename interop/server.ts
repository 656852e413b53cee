/**
 * tsgrpc's interop server: grpc.testing.TestService as the gRPC interop
 * description's "Server" section asks, on tsgrpc's public API.
 *
 *   npm run interop:server -- --port=8080 [--use_tls=true]
 *
 * Prints `listening on 127.0.0.1:PORT` once bound (`--port=0` picks a free
 * port). TLS uses the test certificates of `interop/certs.ts`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Code, createServer, RpcError, type HandlerContext, type Server, type ServerOptions } from "../src/index.js";
import { TestService } from "./gen/grpc/testing/test_pb.js";
import { PayloadType, type EchoStatus, type ResponseParameters } from "./gen/grpc/testing/messages_pb.js";
import { createTestCerts } from "./certs.js";
import { parseServerFlags } from "./flags.js";
import { isMain } from "./is-main.js";
import { ECHO_INITIAL_KEY, ECHO_TRAILING_KEY } from "./test-cases.js";

/** Echoes the two interop metadata keys: the ASCII one as a header, the binary one as a trailer. */
function echoMetadata(ctx: HandlerContext): void {
  const initial = ctx.metadata.get(ECHO_INITIAL_KEY);
  if (initial !== undefined) ctx.responseHeader.set(ECHO_INITIAL_KEY, initial);
  for (const v of ctx.metadata.getAll(ECHO_TRAILING_KEY)) ctx.responseTrailer.append(ECHO_TRAILING_KEY, v);
}

function throwRequestedStatus(st: EchoStatus | undefined): void {
  if (st && st.code !== Code.OK) throw new RpcError(st.code as Code, st.message);
}

function checkCompressed(ctx: HandlerContext, expect: { value: boolean } | undefined): void {
  if (expect?.value && !ctx.requestCompressed) {
    throw new RpcError(Code.INVALID_ARGUMENT, "expected a compressed request message");
  }
}

function payload(size: number) {
  return { type: PayloadType.COMPRESSABLE, body: new Uint8Array(size) };
}

async function* streamResponses(ctx: HandlerContext, params: readonly ResponseParameters[]) {
  for (const p of params) {
    if (p.intervalUs > 0) await sleep(p.intervalUs / 1000, undefined, { signal: ctx.signal });
    ctx.setMessageCompression(p.compressed?.value === true);
    yield { payload: payload(p.size) };
  }
}

/** Creates a tsgrpc server with the interop TestService registered. */
export function createInteropServer(options: ServerOptions = {}): Server {
  const server = createServer(options);
  server.service(TestService, {
    emptyCall(_req, ctx) {
      echoMetadata(ctx);
      return {};
    },

    unaryCall(req, ctx) {
      echoMetadata(ctx);
      if (req.responseCompressed?.value) ctx.setResponseCompression("gzip");
      checkCompressed(ctx, req.expectCompressed);
      throwRequestedStatus(req.responseStatus);
      if (req.responseType !== PayloadType.COMPRESSABLE) {
        throw new RpcError(Code.INVALID_ARGUMENT, "unsupported response_type");
      }
      return { payload: payload(req.responseSize) };
    },

    cacheableUnaryCall(_req, ctx) {
      echoMetadata(ctx);
      const body = new TextEncoder().encode(String(process.hrtime.bigint()));
      return { payload: { type: PayloadType.COMPRESSABLE, body } };
    },

    async *streamingOutputCall(req, ctx) {
      echoMetadata(ctx);
      if (req.responseParameters.some((p) => p.compressed?.value)) ctx.setResponseCompression("gzip");
      throwRequestedStatus(req.responseStatus);
      yield* streamResponses(ctx, req.responseParameters);
    },

    async streamingInputCall(reqs, ctx) {
      echoMetadata(ctx);
      let total = 0;
      for await (const req of reqs) {
        checkCompressed(ctx, req.expectCompressed);
        total += req.payload?.body.length ?? 0;
      }
      return { aggregatedPayloadSize: total };
    },

    async *fullDuplexCall(reqs, ctx) {
      echoMetadata(ctx);
      for await (const req of reqs) {
        throwRequestedStatus(req.responseStatus);
        yield* streamResponses(ctx, req.responseParameters);
      }
    },

    async *halfDuplexCall(reqs, ctx) {
      echoMetadata(ctx);
      const all = [];
      for await (const req of reqs) all.push(req);
      for (const req of all) {
        throwRequestedStatus(req.responseStatus);
        yield* streamResponses(ctx, req.responseParameters);
      }
    },
    // unimplementedCall is left out on purpose: the server answers UNIMPLEMENTED.
  });
  return server;
}

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

/** Starts tsgrpc's interop server in this process on 127.0.0.1. */
export async function startTsgrpcServer(opts: { port?: number; useTls?: boolean } = {}): Promise<RunningServer> {
  const server = createInteropServer();
  const tls = opts.useTls ? createTestCerts() : undefined;
  const { port } = await server.listen({
    host: "127.0.0.1",
    port: opts.port ?? 0,
    ...(tls ? { tls: { key: tls.key, cert: tls.cert } } : {}),
  });
  return { port, close: () => server.close({ graceMs: 2000 }) };
}

if (isMain(import.meta.url)) {
  try {
    const flags = parseServerFlags(process.argv.slice(2));
    const server = await startTsgrpcServer({ port: flags.port, useTls: flags.useTls });
    console.log(`listening on 127.0.0.1:${server.port}`);
    const stop = () => void server.close().then(() => process.exit(0));
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  } catch (e) {
    console.error(e);
    process.exit(1);
  }
}
