/**
 * What both raw bounds (`raw-server.ts`, `raw-protobuf-server.ts`) answer
 * with: constant headers, trailers and response options, and the listeners
 * they share across streams (Node calls them with the stream as `this`), so
 * that a bound makes no object or closure per call that it can avoid.
 */
import type http2 from "node:http2";

export const RESPONSE_HEADERS = { ":status": 200, "content-type": "application/grpc" };
export const UNIMPLEMENTED = { ":status": 200, "content-type": "application/grpc", "grpc-status": "12" };
export const INTERNAL = { ":status": 200, "content-type": "application/grpc", "grpc-status": "13" };
const OK_TRAILERS = { "grpc-status": "0" };

// No `date` header (Node adds one unless told not to): gRPC servers send none, tsgrpc included.
export const WITH_TRAILERS = { waitForTrailers: true, sendDate: false };
export const ENDED = { endStream: true, sendDate: false };
export const OPEN = { endStream: false, sendDate: false };

/** The 'wantTrailers' listener: grpc-status 0. */
export function sendOkTrailers(this: http2.ServerHttp2Stream): void {
  this.sendTrailers(OK_TRAILERS);
}

/** The 'error' listener: a stream's error ends only that stream. */
export function ignoreErrors(): void {}
