/**
 * Connect's `connect-timeout-ms` header (connectrpc.com/docs/protocol): the
 * time left, in whole milliseconds, at most 10 digits. Used by both sides,
 * browsers included.
 */

/** The header's value for a call that must end by `deadline` (a `Date.now()` time): rounded up, never negative. */
export function encodeConnectTimeout(deadline: number): string {
  return String(Math.max(0, Math.ceil(deadline - Date.now())));
}

/** The header's value in milliseconds; undefined when absent or malformed. */
export function parseConnectTimeout(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,10}$/.test(value) ? Number(value) : undefined;
}
