import { create, fromBinary, isMessage, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";

const readOptions = { readUnknownFields: true } as const;

/** Builds a message of `schema` from a message or a plain init object. */
export function toMessage<D extends DescMessage>(schema: D, init: MessageInitShape<D>): MessageShape<D> {
  return isMessage(init, schema) ? (init as MessageShape<D>) : create(schema, init as never);
}

/**
 * Serializes `init` (a message or its init shape). A message over `maxBytes`
 * fails with RESOURCE_EXHAUSTED (the send limit), a value that protobuf
 * cannot encode with INTERNAL.
 */
export function serializeMessage<D extends DescMessage>(schema: D, init: MessageInitShape<D>, maxBytes: number): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = toBinary(schema, toMessage(schema, init));
  } catch (e) {
    throw new RpcError(Code.INTERNAL, `could not serialize ${schema.typeName}: ${(e as Error).message}`, { cause: e });
  }
  if (bytes.byteLength > maxBytes) {
    throw new RpcError(Code.RESOURCE_EXHAUSTED, `message of ${bytes.byteLength} bytes is larger than the send limit of ${maxBytes} bytes`);
  }
  return bytes;
}

/** Parses a received message; malformed bytes fail with INTERNAL (never crash the call's owner). */
export function parseMessage<D extends DescMessage>(schema: D, bytes: Uint8Array): MessageShape<D> {
  try {
    return fromBinary(schema, bytes, readOptions);
  } catch (e) {
    throw new RpcError(Code.INTERNAL, `could not parse ${schema.typeName}: ${(e as Error).message}`, { cause: e });
  }
}
