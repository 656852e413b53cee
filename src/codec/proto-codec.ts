import { fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Codec } from "./codec.js";

const readOptions = { readUnknownFields: true } as const;

/**
 * Protobuf's binary format, gRPC's default (`application/grpc`). Unknown
 * fields are kept, so a message passed on by a proxy loses nothing.
 */
export const protoCodec: Codec = {
  name: "proto",
  encode: (schema, message) => toBinary(schema, message),
  decode: (schema, bytes) => fromBinary(schema, bytes, readOptions),
};
