/**
 * The standard error details of Google's error model (`google/rpc/error_details.proto`)
 * and `google.rpc.Status`, for `createDetail` on a server and
 * `RpcError.findDetails` on a client.
 *
 * ```ts
 * import { createDetail, RpcError, Code } from "tsgrpc";
 * import { BadRequestSchema } from "tsgrpc/error-details";
 *
 * // server
 * throw new RpcError(Code.INVALID_ARGUMENT, "bad email", {
 *   details: [createDetail(BadRequestSchema, { fieldViolations: [{ field: "email", description: "not an address" }] })],
 * });
 * // client
 * const [badRequest] = err.findDetails(BadRequestSchema);
 * ```
 *
 * @module
 */
export {
  ErrorInfoSchema,
  RetryInfoSchema,
  DebugInfoSchema,
  QuotaFailureSchema,
  QuotaFailure_ViolationSchema,
  PreconditionFailureSchema,
  PreconditionFailure_ViolationSchema,
  BadRequestSchema,
  BadRequest_FieldViolationSchema,
  RequestInfoSchema,
  ResourceInfoSchema,
  HelpSchema,
  Help_LinkSchema,
  LocalizedMessageSchema,
  file_google_rpc_error_details,
} from "./gen/google/rpc/error_details_pb.js";
export type {
  ErrorInfo,
  RetryInfo,
  DebugInfo,
  QuotaFailure,
  QuotaFailure_Violation,
  PreconditionFailure,
  PreconditionFailure_Violation,
  BadRequest,
  BadRequest_FieldViolation,
  RequestInfo,
  ResourceInfo,
  Help,
  Help_Link,
  LocalizedMessage,
} from "./gen/google/rpc/error_details_pb.js";
export { StatusSchema } from "./gen/google/rpc/status_pb.js";
export type { Status } from "./gen/google/rpc/status_pb.js";
