import type { Metadata } from "../metadata/metadata.js";

/**
 * Writes `md` into `headers` as HTTP headers whose names carry `prefix`:
 * Connect's unary trailers (`trailer-<key>`), grpc-gateway's response
 * metadata (`grpc-metadata-<key>`, `grpc-trailer-<key>`). `-bin` values are
 * base64, as `Metadata.writeTo` writes them.
 */
export function writePrefixedMetadata(headers: Record<string, string | string[]>, md: Metadata | undefined, prefix: string): void {
  if (!md) return;
  const plain: Record<string, string | string[]> = {};
  md.writeTo(plain);
  for (const key in plain) headers[prefix + key] = plain[key]!;
}
