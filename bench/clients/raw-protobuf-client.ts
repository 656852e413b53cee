/**
 * The second client bound: the raw client plus protobuf-es, nothing else.
 * Each request is serialized with `toBinary` and framed as it is sent, each
 * answer parsed with `fromBinary` and its payload size checked, as every
 * gRPC client here must. Its distance to the raw client is what the
 * serializer alone costs on this machine: a gRPC client on protobuf-es can
 * approach this row, not the raw one.
 */
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { frame } from "../lib/envelope.js";
import { requestFor, SimpleRequestSchema, SimpleResponseSchema } from "../lib/messages.js";
import type { BenchClient, BenchClientOptions } from "./bench-client.js";
import { createBoundClient } from "./raw-client.js";

export function createRawProtobufClient(options: BenchClientOptions): BenchClient {
  const request = requestFor(options.responseSize, options.payloadSize);
  const expected = options.responseSize;
  return createBoundClient(options, {
    keepBodies: true,
    request: () => frame(toBinary(SimpleRequestSchema, request)),
    check(body) {
      const size = fromBinary(SimpleResponseSchema, body!).payload?.body.byteLength;
      return size === expected ? undefined : `response payload of ${size ?? "no"} bytes, expected ${expected}`;
    },
  });
}
