import type { Message } from "@bufbuild/protobuf";
import type { StreamResponse, UnaryResponse } from "../interceptor.js";
import type { Metadata } from "../metadata/metadata.js";

/** Where a response's metadata comes from: a call, or the attempt a retrying call chose. */
export interface ResponseMetadataSource {
  readonly header: Metadata;
  readonly trailer: Metadata;
}

const kSource = Symbol("tsgrpc.responseSource");

/**
 * A response as the interceptor chain sees it. `header` and `trailer` are
 * own, enumerable getters, so that an interceptor's `{ ...response, message }`
 * keeps them, and lazy, so that metadata nobody reads is never parsed. A
 * class whose constructor defines them from shared descriptors: an object
 * literal with accessors costs about ten times as much per call in V8 (Node
 * 20 to 24), a descriptor map with a symbol-keyed literal twice.
 */
class ResponseView {
  readonly stream: boolean;
  readonly message: Message | AsyncIterable<Message>;
  readonly [kSource]: ResponseMetadataSource;

  constructor(source: ResponseMetadataSource, stream: boolean, message: Message | AsyncIterable<Message>) {
    this.stream = stream;
    this.message = message;
    this[kSource] = source;
    Object.defineProperty(this, "header", headerField);
    Object.defineProperty(this, "trailer", trailerField);
  }
}

const headerField: PropertyDescriptor = {
  get(this: ResponseView) {
    return this[kSource].header;
  },
  enumerable: true,
  configurable: true,
};

const trailerField: PropertyDescriptor = {
  get(this: ResponseView) {
    return this[kSource].trailer;
  },
  enumerable: true,
  configurable: true,
};

/** The interceptor chain's view of a unary response. */
export function unaryResponseOf(source: ResponseMetadataSource, message: Message): UnaryResponse {
  return new ResponseView(source, false, message) as unknown as UnaryResponse;
}

/** The interceptor chain's view of a streamed response. */
export function streamResponseOf(source: ResponseMetadataSource, messages: AsyncIterable<Message>): StreamResponse {
  return new ResponseView(source, true, messages) as unknown as StreamResponse;
}
