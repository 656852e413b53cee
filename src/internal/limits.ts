/** Default receive limit of gRPC implementations: 4 MiB. */
export const defaultMaxReceiveBytes = 4 * 1024 * 1024;
/** "No limit": the largest length a gRPC message prefix can state. */
export const unlimitedBytes = 0xffff_ffff;

/** Validates a byte-limit option once: a non-negative integer, or Infinity for unlimited. */
export function checkByteLimit(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (value === Infinity) return unlimitedBytes;
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`${name} must be a non-negative integer number of bytes or Infinity, got ${value}`);
  return Math.min(value, unlimitedBytes);
}

/**
 * Default high-water mark of a call's received messages, in bytes: past it
 * the stream pauses until the reader catches up (`receiveHighWaterMarkBytes`).
 */
export const defaultReceiveHighWaterMarkBytes = 256 * 1024;

/**
 * What a received message costs besides its bytes, as counted against the
 * high-water mark: the objects around it. It keeps a flood of empty
 * messages as bounded as a flood of large ones.
 */
export const messageOverheadBytes = 64;
