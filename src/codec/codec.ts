import type { DescMessage, Message } from "@bufbuild/protobuf";

/**
 * Turns messages into bytes and back. Calls carry one codec, chosen per call
 * by its content type: `application/grpc` and `application/grpc+proto` are
 * protobuf's binary format (`protoCodec`), `application/grpc+json` is
 * protobuf's JSON mapping (`createJsonCodec`). A codec of your own (another
 * serializer, say) works the same way: its `name` is the content subtype.
 *
 * `encode` and `decode` run on every message, synchronously; they throw on
 * what they cannot handle, and the call fails with INTERNAL and the reason.
 */
export interface Codec {
  /** The content subtype: `proto` in `application/grpc+proto`. Lowercase. */
  readonly name: string;
  /** Serializes `message`, a message of `schema`. */
  encode(schema: DescMessage, message: Message): Uint8Array;
  /** Parses `bytes` into a message of `schema`. */
  decode(schema: DescMessage, bytes: Uint8Array): Message;
}
