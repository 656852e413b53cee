import type { Message } from "@bufbuild/protobuf";
import type { StreamResponse, UnaryResponse } from "../interceptor.js";
import type { HandlerContext } from "./handler-context.js";

const kContext = Symbol("tsgrpc.handlerContext");

/**
 * A handler's outcome as the server's interceptors see it. `header` and
 * `trailer` are the context's response metadata, as own, enumerable getters
 * (so that `{ ...res, message }` keeps them) that make it only if someone
 * asks: most calls never touch their response metadata. A class with shared
 * descriptors, for the reasons in handler-request.ts.
 */
class HandlerResponse {
  readonly stream: boolean;
  readonly message: Message | AsyncIterable<Message>;
  readonly [kContext]: HandlerContext;

  constructor(context: HandlerContext, stream: boolean, message: Message | AsyncIterable<Message>) {
    this.stream = stream;
    this.message = message;
    this[kContext] = context;
    Object.defineProperty(this, "header", headerField);
    Object.defineProperty(this, "trailer", trailerField);
  }
}

const headerField: PropertyDescriptor = {
  get(this: HandlerResponse) {
    return this[kContext].responseHeader;
  },
  enumerable: true,
  configurable: true,
};

const trailerField: PropertyDescriptor = {
  get(this: HandlerResponse) {
    return this[kContext].responseTrailer;
  },
  enumerable: true,
  configurable: true,
};

/** The outcome of a unary-response handler. */
export function handlerUnaryResponse(context: HandlerContext, message: Message): UnaryResponse {
  return new HandlerResponse(context, false, message) as unknown as UnaryResponse;
}

/** The outcome of a streaming-response handler. */
export function handlerStreamResponse(context: HandlerContext, messages: AsyncIterable<Message>): StreamResponse {
  return new HandlerResponse(context, true, messages) as unknown as StreamResponse;
}
