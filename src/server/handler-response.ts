import type { Message } from "@bufbuild/protobuf";
import type { StreamResponse, UnaryResponse } from "../interceptor.js";
import { lazyFields } from "../internal/lazy-fields.js";
import type { HandlerContext } from "./handler-context.js";

/** `header` and `trailer`: the context's response metadata, made only if someone asks (most calls never touch it). */
const withResponseMetadata = lazyFields<HandlerContext>({ header: (c) => c.responseHeader, trailer: (c) => c.responseTrailer });

/** The outcome of a unary-response handler, as the server's interceptors see it. */
export function handlerUnaryResponse(context: HandlerContext, message: Message): UnaryResponse {
  return withResponseMetadata({ stream: false, message }, context) as UnaryResponse;
}

/** The outcome of a streaming-response handler, as the server's interceptors see it. */
export function handlerStreamResponse(context: HandlerContext, messages: AsyncIterable<Message>): StreamResponse {
  return withResponseMetadata({ stream: true, message: messages }, context) as StreamResponse;
}
