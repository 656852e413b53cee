import type { IncomingHttpHeaders } from "node:http2";
import { Code, isCode } from "../status/code.js";
import { metadataFromHeaders, type Metadata } from "../metadata/metadata.js";
import { decodeGrpcMessage, encodeGrpcMessage } from "./percent-encoding.js";

/** A status as read from trailers. */
export interface ReceivedStatus {
  code: Code;
  message: string;
  metadata: Metadata;
  /** Raw `grpc-status-details-bin` (a serialized `google.rpc.Status`), if sent. */
  details: Uint8Array | undefined;
}

/** Reads `grpc-status`, `grpc-message` and the rest of the trailers. */
export function statusFromTrailers(trailers: IncomingHttpHeaders): ReceivedStatus {
  const raw = trailers["grpc-status"];
  let code: Code;
  let message = "";
  if (typeof raw !== "string" || !/^\d+$/.test(raw)) {
    code = Code.UNKNOWN;
    message = raw === undefined ? "protocol error: trailers without grpc-status" : `protocol error: invalid grpc-status "${raw}"`;
  } else {
    const n = Number(raw);
    code = isCode(n) ? n : Code.UNKNOWN;
  }
  const m = trailers["grpc-message"];
  if (typeof m === "string" && m.length > 0) message = decodeGrpcMessage(m);
  const d = trailers["grpc-status-details-bin"];
  let details: Uint8Array | undefined;
  if (typeof d === "string") {
    try {
      details = new Uint8Array(Buffer.from(d, "base64"));
    } catch {
      details = undefined;
    }
  }
  return { code, message, metadata: metadataFromHeaders(trailers), details };
}

/** Writes a status into a trailer (or trailers-only header) object. */
export function writeStatus(headers: Record<string, string | string[]>, code: Code, message: string): void {
  headers["grpc-status"] = String(code);
  if (message) headers["grpc-message"] = encodeGrpcMessage(message);
}
