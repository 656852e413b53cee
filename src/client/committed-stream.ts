import type { Message } from "@bufbuild/protobuf";
import type { StreamResponse } from "../interceptor.js";
import { Metadata } from "../metadata/metadata.js";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";
import { rejectWithCallerStack } from "../status/caller-stack.js";
import type { ClientCall } from "./client-call.js";
import { streamResponseOf } from "./response-view.js";

/**
 * The response stream handed to the caller at once, before any attempt is
 * chosen: reading waits for the commit, then reads the chosen attempt.
 */
export class CommittedStream implements AsyncIterableIterator<Message> {
  readonly #call: { cancel(error: RpcError): void };
  #attempt: ClientCall | undefined;
  #inner: AsyncIterator<Message> | undefined;
  #error: RpcError | undefined;
  #waiter: { resolve: (r: Promise<IteratorResult<Message>>) => void } | undefined;
  readonly response: StreamResponse;

  constructor(call: { cancel(error: RpcError): void }) {
    this.#call = call;
    this.response = streamResponseOf(this, this);
  }

  /** The chosen attempt's response headers (empty before one is chosen). */
  get header(): Metadata {
    return this.#attempt?.header ?? new Metadata();
  }

  /** The chosen attempt's trailers (empty before one is chosen). */
  get trailer(): Metadata {
    return this.#attempt?.trailer ?? new Metadata();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  attach(attempt: ClientCall): void {
    this.#attempt = attempt;
    this.#inner = attempt.messages();
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.resolve(this.#inner.next());
  }

  fail(error: RpcError): void {
    this.#error = error;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.resolve(rejectWithCallerStack(error));
  }

  next(): Promise<IteratorResult<Message>> {
    if (this.#inner) return this.#inner.next();
    if (this.#error) return rejectWithCallerStack(this.#error);
    return new Promise((resolve) => (this.#waiter = { resolve }));
  }

  return(): Promise<IteratorResult<Message>> {
    if (this.#inner) return this.#inner.return?.() ?? Promise.resolve({ done: true, value: undefined });
    this.#call.cancel(new RpcError(Code.CANCELLED, "the client stopped reading the response stream"));
    return Promise.resolve({ done: true, value: undefined });
  }
}
