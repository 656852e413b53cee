import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { StatusSchema } from "./gen/google/rpc/status_pb.js";
import type { Code } from "./code.js";

/**
 * One detail of an error: a protobuf message kept serialized beside its
 * fully-qualified type name (`google.rpc.ErrorInfo`). Details travel in
 * `grpc-status-details-bin` as the `details` of a `google.rpc.Status`
 * (each packed in a `google.protobuf.Any`), the error model of
 * https://cloud.google.com/apis/design/errors.
 *
 * Build one with `createDetail`; read them back with `RpcError.findDetails`.
 */
export interface Detail {
  /** Fully-qualified protobuf type name, without a type URL prefix. */
  readonly type: string;
  /** The serialized message. */
  readonly value: Uint8Array;
}

/**
 * Serializes a message of `schema` into an error detail.
 *
 * ```ts
 * import { ErrorInfoSchema } from "tsgrpc/error-details";
 * throw new RpcError(Code.FAILED_PRECONDITION, "quota project not set", {
 *   details: [createDetail(ErrorInfoSchema, { reason: "NO_PROJECT", domain: "example.com" })],
 * });
 * ```
 */
export function createDetail<D extends DescMessage>(schema: D, init: MessageInitShape<D>): Detail {
  return { type: schema.typeName, value: toBinary(schema, create(schema, init)) };
}

/**
 * The details of `type` `schema`, decoded. Details that fail to decode are
 * skipped: a peer's bad detail must not turn a readable error into a crash.
 */
export function findDetails<D extends DescMessage>(details: readonly Detail[], schema: D): MessageShape<D>[] {
  const out: MessageShape<D>[] = [];
  for (const d of details) {
    if (d.type !== schema.typeName) continue;
    try {
      out.push(fromBinary(schema, d.value));
    } catch {
      // Skipped, see above.
    }
  }
  return out;
}

const typeUrlPrefix = "type.googleapis.com/";

/**
 * The `grpc-status-details-bin` value for a failed call: a serialized
 * `google.rpc.Status` whose code and message repeat `grpc-status` and
 * `grpc-message`, as the gRPC spec requires.
 */
export function encodeStatusDetails(code: Code, message: string, details: readonly Detail[]): Uint8Array {
  return toBinary(
    StatusSchema,
    create(StatusSchema, {
      code,
      message,
      details: details.map((d) => ({ typeUrl: typeUrlPrefix + d.type, value: d.value })),
    }),
  );
}

/**
 * The details of a received `grpc-status-details-bin`. The trailers stay the
 * truth for code and message: a `google.rpc.Status` that disagrees with
 * `grpc-status` describes some other error, so its details are dropped, and
 * a value that does not parse yields none (never a failed call).
 */
export function decodeStatusDetails(bytes: Uint8Array | undefined, code: Code): Detail[] {
  if (!bytes || bytes.byteLength === 0) return [];
  let status;
  try {
    status = fromBinary(StatusSchema, bytes);
  } catch {
    return [];
  }
  if (status.code !== code) return [];
  return status.details.map((any) => ({ type: any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1), value: any.value }));
}
