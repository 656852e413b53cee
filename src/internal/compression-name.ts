/**
 * The names of the message encodings tsgrpc speaks, apart from the code
 * that compresses (which needs `node:zlib`): what option checks and headers
 * use, on every platform, browsers included.
 */

/** The encodings tsgrpc speaks besides `identity` (`doc/compression.md`). */
export type CompressionName = "gzip" | "deflate";

/** Every encoding tsgrpc can decode, for `grpc-accept-encoding`. */
export const supportedEncodings: readonly CompressionName[] = ["gzip", "deflate"];

/** Validates a user's compression option once, at construction. */
export function checkCompressionName(name: string | undefined, where: string): CompressionName | undefined {
  if (name === undefined || name === "identity") return undefined;
  if (name === "gzip" || name === "deflate") return name;
  throw new TypeError(`${where}: unsupported compression "${name}" (use "identity", "gzip" or "deflate")`);
}
