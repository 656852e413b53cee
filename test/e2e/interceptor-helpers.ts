// Shared by the interceptor and auth suites: an EchoService whose every
// kind echoes payloads as text, and one call of each kind.
import { Code, RpcError, type CallOptions, type Client, type HandlerContext, type ServiceImpl } from "../../src/index.js";
import type { Message } from "@bufbuild/protobuf";
import { EchoService, type EchoRequest } from "../gen/tsgrpc/test/v1/echo_pb.js";

export const kinds = ["unary", "serverStream", "clientStream", "bidi"] as const;
export type Kind = (typeof kinds)[number];

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const enc = (s: string) => encoder.encode(s);
export const dec = (b: Uint8Array) => decoder.decode(b);

/** Appends `suffix` to a request's or response's payload, keeping its type. */
export function suffixed(m: Message, suffix: string): Message {
  const msg = m as Message & { payload: Uint8Array };
  return { ...msg, payload: enc(dec(msg.payload) + suffix) } as Message;
}

export async function* mapStream(source: AsyncIterable<Message>, f: (m: Message) => Message): AsyncIterable<Message> {
  for await (const m of source) yield f(m);
}

/**
 * Echoes payloads: unary and bidi one response per request, server streaming
 * two, client streaming one response joining the requests with ",".
 * A payload of "fail" fails with NOT_FOUND. `seen` gets each handler's context.
 */
export function textEcho(seen: (kind: Kind, ctx: HandlerContext) => void = () => {}): ServiceImpl<typeof EchoService> {
  const check = (r: EchoRequest) => {
    if (dec(r.payload) === "fail") throw new RpcError(Code.NOT_FOUND, "asked to fail");
  };
  return {
    async unary(req, ctx) {
      seen("unary", ctx);
      check(req);
      return { payload: req.payload };
    },
    async *serverStream(req, ctx) {
      seen("serverStream", ctx);
      check(req);
      yield { payload: req.payload, index: 0 };
      yield { payload: req.payload, index: 1 };
    },
    async clientStream(reqs, ctx) {
      seen("clientStream", ctx);
      const parts: string[] = [];
      for await (const r of reqs) {
        check(r);
        parts.push(dec(r.payload));
      }
      return { payload: enc(parts.join(",")) };
    },
    async *bidi(reqs, ctx) {
      seen("bidi", ctx);
      for await (const r of reqs) {
        check(r);
        yield { payload: r.payload };
      }
    },
  };
}

async function* two(text: string) {
  yield { payload: enc(text) };
  yield { payload: enc(text) };
}

/** One call of `kind` with `text` as payload(s); the response payloads as text. */
export async function callKind(client: Client<typeof EchoService>, kind: Kind, text: string, options?: CallOptions): Promise<string[]> {
  const out: string[] = [];
  switch (kind) {
    case "unary":
      out.push(dec((await client.unary({ payload: enc(text) }, options)).payload));
      break;
    case "serverStream":
      for await (const r of client.serverStream({ payload: enc(text) }, options)) out.push(dec(r.payload));
      break;
    case "clientStream":
      out.push(dec((await client.clientStream(two(text), options)).payload));
      break;
    case "bidi":
      for await (const r of client.bidi(two(text), options)) out.push(dec(r.payload));
      break;
  }
  return out;
}

/** What `callKind` returns for `text` when nothing changes the messages. */
export function plainEcho(kind: Kind, text: string): string[] {
  return kind === "clientStream" ? [`${text},${text}`] : kind === "unary" ? [text] : [text, text];
}

export async function rejection(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RpcError) return e;
    throw e;
  }
  throw new Error("expected the call to fail, it succeeded");
}
