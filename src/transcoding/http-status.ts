import { Code } from "../status/code.js";

/**
 * The HTTP status of a transcoded call that failed with `code`, as
 * `google/rpc/code.proto` documents each code and grpc-gateway maps them
 * (`HTTPStatusFromCode`): CANCELLED is 499 (client closed request).
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
