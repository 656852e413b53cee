import type { DescMethod, Message } from "@bufbuild/protobuf";
import type { StreamRequest, UnaryRequest } from "../interceptor.js";
import { lazyFields } from "../internal/lazy-fields.js";
import type { Metadata } from "../metadata/metadata.js";
import type { HandlerContext } from "./handler-context.js";

/** What a server call lends its request view: metadata and signal, made on first use. */
export interface HandlerRequestSource {
  readonly method: DescMethod;
  readonly deadline: number | undefined;
  readonly context: HandlerContext;
  readonly metadata: Metadata;
  readonly signal: AbortSignal;
}

/** `header` and `signal`, made only if someone asks (an AbortController costs microseconds). */
const withMetadataAndSignal = lazyFields<HandlerRequestSource>({ header: (s) => s.metadata, signal: (s) => s.signal });

/** The interceptor chain's view of a server call's request. */
export function handlerRequestOf(source: HandlerRequestSource, streaming: boolean, message: Message | AsyncIterable<Message>): UnaryRequest | StreamRequest {
  const req = { stream: streaming, method: source.method, side: "server", deadline: source.deadline, context: source.context, options: undefined, message };
  return withMetadataAndSignal(req, source) as UnaryRequest | StreamRequest;
}
