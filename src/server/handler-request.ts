import type { DescMethod, Message } from "@bufbuild/protobuf";
import type { StreamRequest, UnaryRequest } from "../interceptor.js";
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

const kSource = Symbol("tsgrpc.requestSource");

/**
 * The request as the interceptor chain and the handler see it. `header` and
 * `signal` are own, enumerable getters, so that an interceptor's
 * `{ ...req, message }` keeps them, and lazy: the metadata and the
 * AbortController behind them (an AbortController costs microseconds) are
 * made only if someone asks. A class whose constructor defines them from
 * shared descriptors: an object literal with accessors costs about ten
 * times as much per call in V8 (Node 20 to 24), a descriptor map with a
 * symbol-keyed literal twice.
 */
class HandlerRequest {
  readonly stream: boolean;
  readonly method: DescMethod;
  readonly side = "server";
  readonly deadline: number | undefined;
  readonly context: HandlerContext;
  readonly options = undefined;
  readonly message: Message | AsyncIterable<Message>;
  readonly [kSource]: HandlerRequestSource;

  constructor(source: HandlerRequestSource, streaming: boolean, message: Message | AsyncIterable<Message>) {
    this.stream = streaming;
    this.method = source.method;
    this.deadline = source.deadline;
    this.context = source.context;
    this.message = message;
    this[kSource] = source;
    Object.defineProperty(this, "header", headerField);
    Object.defineProperty(this, "signal", signalField);
  }
}

const headerField: PropertyDescriptor = {
  get(this: HandlerRequest) {
    return this[kSource].metadata;
  },
  enumerable: true,
  configurable: true,
};

const signalField: PropertyDescriptor = {
  get(this: HandlerRequest) {
    return this[kSource].signal;
  },
  enumerable: true,
  configurable: true,
};

/** The interceptor chain's view of a server call's request. */
export function handlerRequestOf(source: HandlerRequestSource, streaming: boolean, message: Message | AsyncIterable<Message>): UnaryRequest | StreamRequest {
  return new HandlerRequest(source, streaming, message) as unknown as UnaryRequest | StreamRequest;
}
