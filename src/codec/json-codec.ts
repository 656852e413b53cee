import { fromJsonString, toJsonString, type JsonReadOptions, type JsonWriteOptions, type Registry } from "@bufbuild/protobuf";
import type { Codec } from "./codec.js";

/** Options of `createJsonCodec`. */
export interface JsonCodecOptions {
  /** Message types that `google.protobuf.Any` fields may hold. Default: none (an `Any` fails to encode or decode). */
  registry?: Registry;
  /** Accepts fields the schema does not know (and drops them) instead of failing. Default false, as protobuf's JSON mapping says. */
  ignoreUnknownFields?: boolean;
  /** Writes fields that hold their default value (`0`, `""`, `false`) too. Default false. */
  alwaysEmitImplicit?: boolean;
  /** Writes field names as in the `.proto` file (`user_id`) instead of lowerCamelCase (`userId`). Default false. */
  useProtoFieldName?: boolean;
}

/**
 * Protobuf's canonical JSON mapping as a codec (`application/grpc+json`),
 * with `@bufbuild/protobuf`'s `toJsonString` and `fromJsonString`.
 *
 * ```ts
 * const channel = createChannel("http://127.0.0.1:50051", { codec: createJsonCodec() });
 * ```
 */
export function createJsonCodec(options: JsonCodecOptions = {}): Codec {
  const write: Partial<JsonWriteOptions> = {
    registry: options.registry,
    alwaysEmitImplicit: options.alwaysEmitImplicit === true,
    useProtoFieldName: options.useProtoFieldName === true,
  };
  const read: Partial<JsonReadOptions> = { registry: options.registry, ignoreUnknownFields: options.ignoreUnknownFields === true };
  const encoder = new TextEncoder();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  return {
    name: "json",
    encode: (schema, message) => encoder.encode(toJsonString(schema, message, write)),
    decode: (schema, bytes) => fromJsonString(schema, decoder.decode(bytes), read),
  };
}
