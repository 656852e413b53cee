import { constants } from "node:http2";
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

/** The status a client reports for a stream reset with `rstCode` (`doc/PROTOCOL-HTTP2.md`, "Errors"). */
export function codeFromRstCode(rstCode: number): Code {
  switch (rstCode) {
    case constants.NGHTTP2_CANCEL:
      return Code.CANCELLED;
    case constants.NGHTTP2_REFUSED_STREAM:
      return Code.UNAVAILABLE;
    case constants.NGHTTP2_ENHANCE_YOUR_CALM:
      return Code.RESOURCE_EXHAUSTED;
    case constants.NGHTTP2_INADEQUATE_SECURITY:
      return Code.PERMISSION_DENIED;
    default:
      return Code.INTERNAL;
  }
}
