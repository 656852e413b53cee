import type { Interceptor, StreamRequest, StreamResponse, UnaryRequest, UnaryResponse } from "../interceptor.js";

/**
 * What a client sends its calls through: `createClient(service, transport)`.
 * A channel (`createChannel`) is one; `tsgrpc/testing` has an in-memory one
 * and one over an in-process socket pair; anything that implements this
 * small interface can carry calls (a recorder, a fake, another protocol).
 *
 * `call` receives the request after the client's interceptors: its method,
 * metadata (`header`), `deadline`, `signal`, the caller's `options`, and the
 * request message (or stream of messages). It must settle, never hang: with
 * the response (for streaming responses, an async iterable that ends with
 * the call, and whose early `return()` cancels it), or with an `RpcError`.
 * Deadlines and `signal` are the transport's to enforce.
 */
export interface Transport {
  /** Runs one call. */
  call(request: UnaryRequest | StreamRequest): Promise<UnaryResponse | StreamResponse>;
  /** Interceptors around every call on this transport, outside the client's own; outermost first. */
  readonly interceptors?: readonly Interceptor[];
}
