/**
 * The gRPC status codes, with gRPC's own names and numbers
 * (`doc/statuscodes.md` in grpc/grpc).
 *
 * "Produced by tsgrpc" says when the library itself reports a code on its
 * own; every other code only ever comes from an application or a peer.
 */
export enum Code {
  /** Not an error: the call succeeded. Never carried by an `RpcError`. */
  OK = 0,
  /** The call was cancelled, usually by the caller. Produced by tsgrpc when a call is aborted or the peer resets the stream with CANCEL. */
  CANCELLED = 1,
  /** An error with no better code. Produced by tsgrpc for a handler's uncaught non-RpcError exception and for unexpected HTTP statuses. */
  UNKNOWN = 2,
  /** The client sent an argument that is invalid whatever the system's state (a malformed name, say). */
  INVALID_ARGUMENT = 3,
  /** The deadline passed before the call completed. Produced by tsgrpc on both sides when `grpc-timeout` or a client deadline expires. */
  DEADLINE_EXCEEDED = 4,
  /** A requested entity (a file, a user) was not found. */
  NOT_FOUND = 5,
  /** The entity a client tried to create already exists. */
  ALREADY_EXISTS = 6,
  /** The caller is authenticated but may not do this. Produced by tsgrpc for INADEQUATE_SECURITY resets and HTTP 403. */
  PERMISSION_DENIED = 7,
  /** A resource ran out: a quota, or a message over the size limit. Produced by tsgrpc for messages over `maxReceiveBytes`/`maxSendBytes` and ENHANCE_YOUR_CALM resets. */
  RESOURCE_EXHAUSTED = 8,
  /** The system is not in a state the operation needs (deleting a non-empty directory); the client should not retry until the state is fixed. */
  FAILED_PRECONDITION = 9,
  /** The operation was aborted, typically by a concurrency conflict; retry at a higher level. */
  ABORTED = 10,
  /** The operation went past the valid range (reading past the end of a file). */
  OUT_OF_RANGE = 11,
  /** The method is not implemented or not supported. Produced by tsgrpc for an unknown service or method, an unsupported compression and HTTP 404. */
  UNIMPLEMENTED = 12,
  /** An invariant the system relies on broke. Produced by tsgrpc for protocol violations: malformed frames, undecodable messages, missing trailers. */
  INTERNAL = 13,
  /** The service is unavailable right now, most likely for a short while; safe to retry with backoff. Produced by tsgrpc when a connection cannot be made or drops. */
  UNAVAILABLE = 14,
  /** Unrecoverable data loss or corruption. */
  DATA_LOSS = 15,
  /** The request has no valid credentials. Produced by tsgrpc for HTTP 401. */
  UNAUTHENTICATED = 16,
}

const names: readonly string[] = Object.keys(Code).filter((k) => Number.isNaN(Number(k)));

/** `Code.NOT_FOUND` → `"NOT_FOUND"`; unknown numbers print as the number. */
export function codeName(code: number): string {
  return Code[code] ?? String(code);
}

/** `"NOT_FOUND"` or `"not_found"` → `Code.NOT_FOUND`; undefined for anything else. */
export function codeFromName(name: string): Code | undefined {
  const upper = name.toUpperCase();
  return names.includes(upper) ? (Code[upper as keyof typeof Code] as Code) : undefined;
}

/** Whether `n` is one of the 17 codes (a peer may send anything). */
export function isCode(n: number): n is Code {
  return Number.isInteger(n) && n >= 0 && n <= 16;
}
