import { setTimeout as sleep } from "node:timers/promises";
import { Code, RpcError, type HandlerContext, type ServiceImpl } from "../../src/index.js";
import { EchoService, type EchoRequest } from "../gen/tsgrpc/test/v1/echo_pb.js";

/** What the server saw of a call, by the request's tag: for tests that check the server side. */
export interface ServerObservations {
  /** Resolves with the code of the signal's reason when the handler's signal fires. */
  aborted(tag: string): Promise<Code>;
  /** Records of handler starts, by tag. */
  readonly started: Set<string>;
}

export function createObservations(): ServerObservations & { watch(tag: string, ctx: HandlerContext): void } {
  const waiters = new Map<string, { promise: Promise<Code>; resolve: (c: Code) => void }>();
  const entry = (tag: string) => {
    let w = waiters.get(tag);
    if (!w) {
      let resolve!: (c: Code) => void;
      const promise = new Promise<Code>((r) => (resolve = r));
      waiters.set(tag, (w = { promise, resolve }));
    }
    return w;
  };
  const started = new Set<string>();
  return {
    started,
    aborted: (tag) => entry(tag).promise,
    watch(tag, ctx) {
      if (!tag) return;
      started.add(tag);
      const w = entry(tag);
      const fire = () => w.resolve(ctx.signal.reason instanceof RpcError ? ctx.signal.reason.code : Code.UNKNOWN);
      if (ctx.signal.aborted) fire();
      else ctx.signal.addEventListener("abort", fire, { once: true });
    },
  };
}

/** Request metadata `x-header-*` comes back as response headers, `x-trailer-*` as trailers (on errors too). */
function echoMetadata(ctx: HandlerContext): void {
  for (const [k, v] of ctx.metadata) {
    if (k.startsWith("x-header-")) ctx.responseHeader.append(k, v);
    else if (k.startsWith("x-trailer-")) ctx.responseTrailer.append(k, v);
  }
}

function payloadFor(req: EchoRequest): Uint8Array {
  return req.responseSize > 0 ? new Uint8Array(req.responseSize).fill(0x61) : req.payload;
}

function failure(req: EchoRequest): RpcError {
  return new RpcError(req.failCode as Code, req.failMessage);
}

async function pause(req: EchoRequest, ctx: HandlerContext): Promise<void> {
  if (req.sleepMs > 0) await sleep(req.sleepMs, undefined, { signal: ctx.signal });
}

/** tsgrpc's implementation of the test EchoService. */
export function echoService(observe?: ReturnType<typeof createObservations>): ServiceImpl<typeof EchoService> {
  return {
    async unary(req, ctx) {
      observe?.watch(req.tag, ctx);
      echoMetadata(ctx);
      await pause(req, ctx);
      if (req.failCode) throw failure(req);
      return { payload: payloadFor(req) };
    },
    async *serverStream(req, ctx) {
      observe?.watch(req.tag, ctx);
      echoMetadata(ctx);
      for (let i = 0; i < req.responseCount; i++) {
        if (req.failCode && i === req.failAfter) throw failure(req);
        await pause(req, ctx);
        yield { payload: payloadFor(req), index: i };
      }
      if (req.failCode) throw failure(req);
    },
    async clientStream(reqs, ctx) {
      echoMetadata(ctx);
      let count = 0;
      let bytes = 0;
      for await (const r of reqs) {
        observe?.watch(r.tag, ctx);
        if (r.failCode) throw failure(r);
        await pause(r, ctx);
        count++;
        bytes += r.payload.byteLength;
      }
      return { receivedCount: count, receivedBytes: BigInt(bytes) };
    },
    async *bidi(reqs, ctx) {
      echoMetadata(ctx);
      let i = 0;
      for await (const r of reqs) {
        observe?.watch(r.tag, ctx);
        if (r.failCode) throw failure(r);
        await pause(r, ctx);
        yield { payload: payloadFor(r), index: i++ };
      }
    },
  };
}

export { EchoService };
