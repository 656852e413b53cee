/**
 * The messages every implementation exchanges, built one way for all of them
 * so that no implementation pays for work another skips.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import {
  SimpleRequestSchema,
  SimpleResponseSchema,
  type SimpleRequest,
  type SimpleResponse,
} from "../../interop/gen/grpc/testing/messages_pb.js";

export { SimpleRequestSchema, SimpleResponseSchema };
export type { SimpleRequest, SimpleResponse };

export const SERVICE = "grpc.testing.BenchmarkService";
export const PATHS = {
  unaryCall: `/${SERVICE}/UnaryCall`,
  streamingCall: `/${SERVICE}/StreamingCall`,
  streamingFromClient: `/${SERVICE}/StreamingFromClient`,
  streamingFromServer: `/${SERVICE}/StreamingFromServer`,
} as const;

const bodies = new Map<number, Uint8Array>();

/** A zero-filled payload body of `size` bytes, shared between calls. */
export function payloadBody(size: number): Uint8Array {
  let body = bodies.get(size);
  if (body === undefined) {
    body = new Uint8Array(size);
    bodies.set(size, body);
  }
  return body;
}

/**
 * The response every server sends for a request asking `size` bytes: what
 * the handlers return. Servers build the object per call (that is part of
 * serving) but share the body bytes.
 */
export function responseFor(size: number): SimpleResponse {
  return create(SimpleResponseSchema, { payload: { body: payloadBody(size) } });
}

/** A request asking for `responseSize` bytes back and carrying `payloadSize` bytes. */
export function requestFor(responseSize: number, payloadSize = 0): SimpleRequest {
  return create(SimpleRequestSchema, {
    responseSize,
    payload: payloadSize > 0 ? { body: payloadBody(payloadSize) } : undefined,
  });
}

export function requestBytes(responseSize: number, payloadSize = 0): Uint8Array {
  return toBinary(SimpleRequestSchema, requestFor(responseSize, payloadSize));
}

export function responseBytes(size: number): Uint8Array {
  return toBinary(SimpleResponseSchema, responseFor(size));
}
