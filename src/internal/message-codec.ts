import { create, isMessage, type DescMessage, type Message, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { Codec } from "../codec/codec.js";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";

/** Builds a message of `schema` from a message or a plain init object. */
export function toMessage<D extends DescMessage>(schema: D, init: MessageInitShape<D>): MessageShape<D> {
  return isMessage(init, schema) ? (init as MessageShape<D>) : create(schema, init as never);
}

/**
 * Serializes `init` (a message or its init shape) with `codec`. A message
 * over `maxBytes` fails with RESOURCE_EXHAUSTED (the send limit), a value
 * that the codec cannot encode with INTERNAL.
 */
export function serializeMessage<D extends DescMessage>(codec: Codec, schema: D, init: MessageInitShape<D>, maxBytes: number): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = codec.encode(schema, toMessage(schema, init));
  } catch (e) {
    throw new RpcError(Code.INTERNAL, `could not serialize ${schema.typeName}: ${(e as Error).message}`, { cause: e });
  }
  if (bytes.byteLength > maxBytes) {
    throw new RpcError(Code.RESOURCE_EXHAUSTED, `message of ${bytes.byteLength} bytes is larger than the send limit of ${maxBytes} bytes`);
  }
  return bytes;
}

/** Parses a received message with `codec`; malformed bytes fail with INTERNAL (never crash the call's owner). */
export function parseMessage(codec: Codec, schema: DescMessage, bytes: Uint8Array): Message {
  try {
    return codec.decode(schema, bytes);
  } catch (e) {
    // A codec that chose a status (REST transcoding's INVALID_ARGUMENT for a bad query) keeps it.
    if (e instanceof RpcError) throw e;
    throw new RpcError(Code.INTERNAL, `could not parse ${schema.typeName}: ${(e as Error).message}`, { cause: e });
  }
}
