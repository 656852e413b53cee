import type { IncomingHttpHeaders } from "node:http2";
import { Code, isCode } from "../status/code.js";
import { decodeGrpcMessage, encodeGrpcMessage } from "./percent-encoding.js";
import { encodeBinaryValue } from "../metadata/binary-header.js";
import { decodeBase64 } from "./base64.js";
import { decodeStatusDetails, encodeStatusDetails, type Detail } from "../status/details.js";
import type { RpcError } from "../status/rpc-error.js";
import type { Metadata } from "../metadata/metadata.js";

/** A status as read from trailers. */
export interface ReceivedStatus {
  code: Code;
  message: string;
  /** The typed details of `grpc-status-details-bin` (a serialized `google.rpc.Status`); empty when none. */
  details: Detail[];
}

/** Reads `grpc-status`, `grpc-message` and `grpc-status-details-bin` (the metadata is left to the caller). */
export function statusFromTrailers(trailers: IncomingHttpHeaders): ReceivedStatus {
  const raw = trailers["grpc-status"];
  let code: Code;
  let message = "";
  if (raw === "0") {
    code = Code.OK;
  } else if (typeof raw !== "string" || !/^\d+$/.test(raw)) {
    code = Code.UNKNOWN;
    message = raw === undefined ? "protocol error: trailers without grpc-status" : `protocol error: invalid grpc-status "${raw}"`;
  } else {
    const n = Number(raw);
    code = isCode(n) ? n : Code.UNKNOWN;
  }
  const m = trailers["grpc-message"];
  if (typeof m === "string" && m.length > 0) message = decodeGrpcMessage(m);
  const d = trailers["grpc-status-details-bin"];
  const details = typeof d === "string" && code !== Code.OK ? decodeStatusDetails(decodeBase64(d), code) : [];
  return { code, message, details };
}

/** Writes a status, and its details if any, into a trailer (or trailers-only header) object. */
export function writeStatus(headers: Record<string, string | string[]>, code: Code, message: string, details?: readonly Detail[]): void {
  headers["grpc-status"] = String(code);
  if (message) headers["grpc-message"] = encodeGrpcMessage(message);
  if (details && details.length > 0 && code !== Code.OK) {
    headers["grpc-status-details-bin"] = encodeBinaryValue(encodeStatusDetails(code, message, details));
  }
}

/** The trailers that end a call: its status (OK when null), then the handler's trailer and the error's metadata. */
export function writeStatusTrailers(headers: Record<string, string | string[]>, status: RpcError | null, trailer: Metadata | undefined): void {
  if (status) writeStatus(headers, status.code, status.rawMessage, status.details);
  else headers["grpc-status"] = "0";
  trailer?.writeTo(headers);
  status?.metadata.writeTo(headers);
}
