import type { Message } from "@bufbuild/protobuf";
import type { StreamResponse, UnaryResponse } from "../interceptor.js";
import { lazyFields } from "../internal/lazy-fields.js";
import type { Metadata } from "../metadata/metadata.js";

/** Where a response's metadata comes from: a call, or the attempt a retrying call chose. */
export interface ResponseMetadataSource {
  readonly header: Metadata;
  readonly trailer: Metadata;
}

/** `header` and `trailer`, read from the source when asked (response metadata is parsed only then). */
const withMetadata = lazyFields<ResponseMetadataSource>({ header: (s) => s.header, trailer: (s) => s.trailer });

/** The interceptor chain's view of a unary response. */
export function unaryResponseOf(source: ResponseMetadataSource, message: Message): UnaryResponse {
  return withMetadata({ stream: false, message }, source) as UnaryResponse;
}

/** The interceptor chain's view of a streamed response. */
export function streamResponseOf(source: ResponseMetadataSource, messages: AsyncIterable<Message>): StreamResponse {
  return withMetadata({ stream: true, message: messages }, source) as StreamResponse;
}
