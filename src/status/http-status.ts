import { Code } from "./code.js";

/**
 * The status a client reports for a response that is not HTTP 200
 * (`doc/http-grpc-status-mapping.md`).
 */
export function codeFromHttpStatus(status: number): Code {
  switch (status) {
    case 400:
      return Code.INTERNAL;
    case 401:
      return Code.UNAUTHENTICATED;
    case 403:
      return Code.PERMISSION_DENIED;
    case 404:
      return Code.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.UNAVAILABLE;
    default:
      return Code.UNKNOWN;
  }
}

/**
 * The status a client reports for a stream reset with `rstCode`
 * (`doc/PROTOCOL-HTTP2.md`, "Errors"; the codes are RFC 9113's, written as
 * numbers so that this file loads in browsers too).
 */
export function codeFromRstCode(rstCode: number): Code {
  switch (rstCode) {
    case 8: // CANCEL
      return Code.CANCELLED;
    case 7: // REFUSED_STREAM
      return Code.UNAVAILABLE;
    case 11: // ENHANCE_YOUR_CALM
      return Code.RESOURCE_EXHAUSTED;
    case 12: // INADEQUATE_SECURITY
      return Code.PERMISSION_DENIED;
    default:
      return Code.INTERNAL;
  }
}

/**
 * The HTTP status of a call that failed with `code`, as
 * `google/rpc/code.proto` documents each code, grpc-gateway maps them
 * (`HTTPStatusFromCode`) and the Connect protocol answers unary errors:
 * CANCELLED is 499 (client closed request). For REST transcoding and Connect.
 */
export function httpStatusFromCode(code: Code): number {
  switch (code) {
    case Code.OK:
      return 200;
    case Code.CANCELLED:
      return 499;
    case Code.INVALID_ARGUMENT:
    case Code.FAILED_PRECONDITION:
    case Code.OUT_OF_RANGE:
      return 400;
    case Code.DEADLINE_EXCEEDED:
      return 504;
    case Code.NOT_FOUND:
      return 404;
    case Code.ALREADY_EXISTS:
    case Code.ABORTED:
      return 409;
    case Code.PERMISSION_DENIED:
      return 403;
    case Code.UNAUTHENTICATED:
      return 401;
    case Code.RESOURCE_EXHAUSTED:
      return 429;
    case Code.UNIMPLEMENTED:
      return 501;
    case Code.UNAVAILABLE:
      return 503;
    case Code.UNKNOWN:
    case Code.INTERNAL:
    case Code.DATA_LOSS:
    default:
      return 500;
  }
}
