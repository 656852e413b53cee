import type { DescMethod, Message } from "@bufbuild/protobuf";
import type { Metadata } from "./metadata/metadata.js";
import type { HandlerContext } from "./server/handler-context.js";
import type { CallOptions } from "./client/call-options.js";

/** What a call carries besides its messages, on either side. */
interface CallInfo {
  /** The method called: `method.parent.typeName` is the service, `method.name` the method. */
  readonly method: DescMethod;
  /** `"client"` in a client's chain, `"server"` in a server's. */
  readonly side: "client" | "server";
  /** Request metadata. A client interceptor may change it before calling `next`. */
  readonly header: Metadata;
  /** Fires when the call is cancelled or its deadline passes (server: also on completion). */
  readonly signal: AbortSignal | undefined;
  /** Absolute deadline in epoch milliseconds, if the call has one. */
  readonly deadline: number | undefined;
  /** The handler's context, in a server's chain; undefined in a client's. */
  readonly context: HandlerContext | undefined;
  /** The call's options, in a client's chain (an interceptor may pass changed ones on); undefined in a server's. */
  readonly options: CallOptions | undefined;
}

/** A call with one request message: unary and server-streaming calls. */
export interface UnaryRequest extends CallInfo {
  readonly stream: false;
  readonly message: Message;
}

/** A call whose requests are a stream: client-streaming and bidi calls. */
export interface StreamRequest extends CallInfo {
  readonly stream: true;
  readonly message: AsyncIterable<Message>;
}

/** The outcome of a call with one response message: unary and client-streaming calls. */
export interface UnaryResponse {
  readonly stream: false;
  /** Response headers. */
  readonly header: Metadata;
  readonly message: Message;
  /** Response trailers (complete once the call is). */
  readonly trailer: Metadata;
}

/** The outcome of a call whose responses are a stream: server-streaming and bidi calls. */
export interface StreamResponse {
  readonly stream: true;
  readonly header: Metadata;
  readonly message: AsyncIterable<Message>;
  /** Response trailers: filled in when the stream has been read to its end. */
  readonly trailer: Metadata;
}

/** The next step of a chain: the transport (client) or the handler (server), maybe behind other interceptors. */
export type CallFn = (req: UnaryRequest | StreamRequest) => Promise<UnaryResponse | StreamResponse>;

/**
 * One interceptor type for clients and servers and all four kinds of call:
 * it gets the next step and returns a step that wraps it (the onion).
 * Throw an `RpcError` to short-circuit a call.
 *
 * ```ts
 * const timing: Interceptor = (next) => async (req) => {
 *   const started = performance.now();
 *   try { return await next(req); }
 *   finally { console.log(req.method.name, performance.now() - started); }
 * };
 * ```
 */
export type Interceptor = (next: CallFn) => CallFn;

/** Wraps `last` in `interceptors`, the first of them outermost. */
export function applyInterceptors(last: CallFn, interceptors: readonly Interceptor[] | undefined): CallFn {
  let fn = last;
  if (interceptors) for (let i = interceptors.length - 1; i >= 0; i--) fn = interceptors[i]!(fn);
  return fn;
}
