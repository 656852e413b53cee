/**
 * Base64 that runs wherever tsgrpc does, browsers included (no `Buffer`):
 * for the protocols that carry bytes in text (Connect's error details and
 * GET requests, binary metadata in browsers).
 */

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const lookup = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) lookup[alphabet.charCodeAt(i)] = i;
// The URL-safe alphabet decodes too.
lookup["-".charCodeAt(0)] = 62;
lookup["_".charCodeAt(0)] = 63;

/** Two base64 characters for every 12-bit value: three bytes take two lookups. */
let pairs: string[] | undefined;

/** The part of Node's `Buffer` used here. */
interface PlatformBuffer {
  from(b: ArrayBufferLike, offset: number, length: number): { toString(encoding: "base64"): string };
  from(text: string, encoding: "base64"): Uint8Array;
}

/** Node's `Buffer` where there is one (it is native, several times faster); undefined in browsers. */
const platform = (globalThis as { Buffer?: PlatformBuffer }).Buffer;

/** Standard base64, without padding when `pad` is false. */
export function encodeBase64(bytes: Uint8Array, pad = true): string {
  if (platform) {
    const b64 = platform.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
    if (pad) return b64;
    let end = b64.length;
    while (end > 0 && b64.charCodeAt(end - 1) === 61 /* = */) end--;
    return b64.slice(0, end);
  }
  return encodeBase64Portable(bytes, pad);
}

/** Standard base64 in plain TypeScript (what browsers run). Exported for tests. */
export function encodeBase64Portable(bytes: Uint8Array, pad = true): string {
  const table = (pairs ??= Array.from({ length: 4096 }, (_, n) => alphabet[n >> 6]! + alphabet[n & 63]!));
  let out = "";
  let i = 0;
  const whole = bytes.length - (bytes.length % 3);
  for (; i < whole; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += table[n >> 12]! + table[n & 4095]!;
  }
  const left = bytes.length - i;
  if (left === 1) {
    const n = bytes[i]! << 16;
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + (pad ? "==" : "");
  } else if (left === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + (pad ? "=" : "");
  }
  return out;
}

const base64Text = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Decodes standard or URL-safe base64, padded or not; undefined when `text` is not base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) end--;
  if (text.length - end > 2 || end % 4 === 1) return undefined;
  if (platform) {
    // Buffer skips what is not base64: check first, then let it decode (a copy, not a view of its pool).
    return base64Text.test(text) ? new Uint8Array(platform.from(text, "base64")) : undefined;
  }
  return decodeBase64Portable(text);
}

/** `decodeBase64` in plain TypeScript (what browsers run). Exported for tests. */
export function decodeBase64Portable(text: string): Uint8Array | undefined {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) end--;
  if (text.length - end > 2 || end % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let bits = 0;
  let count = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? lookup[c]! : -1;
    if (v < 0) return undefined;
    bits = (bits << 6) | v;
    count += 6;
    if (count >= 8) {
      count -= 8;
      out[o++] = (bits >> count) & 0xff;
    }
  }
  return out;
}
