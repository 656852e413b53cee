/**
 * The interop cases this suite runs and the numbers they use, shared by every
 * client (grpc-js, tsgrpc) so that all of them ask and assert the same things.
 * Sizes, keys and values follow the gRPC interop test descriptions.
 */

/** Cases in the order harnesses run them. */
export const TEST_CASES = [
  "empty_unary",
  "large_unary",
  "client_streaming",
  "server_streaming",
  "ping_pong",
  "empty_stream",
  "timeout_on_sleeping_server",
  "cancel_after_begin",
  "cancel_after_first_response",
  "custom_metadata",
  "status_code_and_message",
  "special_status_message",
  "unimplemented_method",
  "unimplemented_service",
  "client_compressed_unary",
  "server_compressed_unary",
  "client_compressed_streaming",
  "server_compressed_streaming",
  "rpc_soak",
  "channel_soak",
  "concurrent_large_unary",
] as const;

export type TestCase = (typeof TEST_CASES)[number];

export function isTestCase(name: string): name is TestCase {
  return (TEST_CASES as readonly string[]).includes(name);
}

export const LARGE_REQUEST_SIZE = 271_828;
export const LARGE_RESPONSE_SIZE = 314_159;
/** client_streaming uploads; their sum is 74,922. */
export const CLIENT_STREAMING_SIZES = [27_182, 8, 1_828, 45_904] as const;
/** server_streaming and ping_pong response sizes. */
export const SERVER_STREAMING_SIZES = [31_415, 9, 2_653, 58_979] as const;
/** ping_pong request sizes, one per round. */
export const PING_PONG_REQUEST_SIZES = [27_182, 8, 1_828, 45_904] as const;
/** client_compressed_streaming: the compressed then the plain upload (sum 73,086). */
export const CLIENT_COMPRESSED_STREAMING_SIZES = [27_182, 45_904] as const;
/** server_compressed_streaming: a compressed then a plain response. */
export const SERVER_COMPRESSED_STREAMING_SIZES = [31_415, 92_653] as const;

export const ECHO_INITIAL_KEY = "x-grpc-test-echo-initial";
export const ECHO_INITIAL_VALUE = "test_initial_metadata_value";
export const ECHO_TRAILING_KEY = "x-grpc-test-echo-trailing-bin";
export const ECHO_TRAILING_VALUE = new Uint8Array([0xab, 0xab, 0xab]);

export const STATUS_MESSAGE = "test status message";
/** Whitespace, CR/LF, a BMP and a non-BMP character: must survive percent-encoding. */
export const SPECIAL_STATUS_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP \u263A and non-BMP \u{1F608}\t\n";

/** gRPC status codes used by the cases. */
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  UNIMPLEMENTED: 12,
} as const;

/** A case's assertion that did not hold; its message says what differed. */
export class CaseFailure extends Error {
  override name = "CaseFailure";
}

export function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new CaseFailure(what);
}

export function checkEqual<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) {
    throw new CaseFailure(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

export function checkBytes(actual: Uint8Array | undefined, expected: Uint8Array, what: string): void {
  if (actual === undefined) throw new CaseFailure(`${what}: missing, expected 0x${hex(expected)}`);
  if (actual.length !== expected.length || actual.some((b, i) => b !== expected[i])) {
    throw new CaseFailure(`${what}: expected 0x${hex(expected)}, got 0x${hex(actual)}`);
  }
}

/** Checks a payload body: the size and that every byte is zero. */
export function checkZeros(body: Uint8Array | undefined, size: number, what: string): void {
  const got = body?.length ?? 0;
  if (got !== size) throw new CaseFailure(`${what}: payload body is ${got} bytes, expected ${size}`);
  if (body && body.some((b) => b !== 0)) throw new CaseFailure(`${what}: payload body is not all zeros`);
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

function show(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

export const CODE_NAMES: Record<number, string> = {
  0: "OK", 1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND",
  6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION",
  10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED", 13: "INTERNAL", 14: "UNAVAILABLE",
  15: "DATA_LOSS", 16: "UNAUTHENTICATED",
};

export function codeName(code: number): string {
  return CODE_NAMES[code] ?? `code ${code}`;
}

export function checkCode(actual: number, expected: number, what: string, message?: string): void {
  if (actual !== expected) {
    throw new CaseFailure(
      `${what}: expected status ${codeName(expected)}, got ${codeName(actual)}` +
        (message !== undefined ? ` (${JSON.stringify(message)})` : ""),
    );
  }
}
