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
