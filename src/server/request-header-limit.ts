/** Default cap on a request's header list, in bytes (gRPC's suggested 8 KiB). */
export const defaultMaxRequestHeaderBytes = 8 * 1024;

/**
 * The size of a header list as HTTP/2 counts it against
 * SETTINGS_MAX_HEADER_LIST_SIZE: name and value lengths plus 32 per field
 * (RFC 9113 §6.5.2). `raw` alternates names and values.
 */
export function headerListBytes(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i++) n += raw[i]!.length;
  return n + 16 * raw.length;
}

/** Validates the server's header limit once. @internal */
export function checkConnectionLimits(o: { maxRequestHeaderBytes?: number }): {
  maxRequestHeaderBytes: number;
} {
  const header = o.maxRequestHeaderBytes ?? defaultMaxRequestHeaderBytes;
  if (!Number.isInteger(header) || header < 1024 || header > 0xffff_ffff) {
    throw new TypeError(`maxRequestHeaderBytes must be an integer number of bytes from 1024, got ${header}`);
  }
  return { maxRequestHeaderBytes: header };
}
