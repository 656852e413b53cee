/**
 * Encoding and validation rules for metadata on the wire
 * (`doc/PROTOCOL-HTTP2.md`, "Custom-Metadata").
 */

import { decodeBase64, encodeBase64 } from "../internal/base64.js";

const keyPattern = /^[0-9a-z_.-]+$/;

/** Keys are lowercase `0-9 a-z _ - .`. */
export function isValidKey(key: string): boolean {
  return keyPattern.test(key);
}

/** Keys ending in `-bin` carry binary values, sent base64-encoded. */
export function isBinaryKey(key: string): boolean {
  return key.endsWith("-bin");
}

/** ASCII values are printable US-ASCII, space through tilde. */
export function isValidAsciiValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** Base64 without padding, as gRPC implementations should emit. */
export function encodeBinaryValue(value: Uint8Array): string {
  return encodeBase64(value, false);
}

const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes one header value of a `-bin` key into its values: peers may join
 * several values with commas, and may pad or not. Returns undefined when the
 * text is not base64 (the caller decides whether to drop or fail).
 */
export function decodeBinaryValues(text: string): Uint8Array[] | undefined {
  const parts = text.includes(",") ? text.split(",") : [text];
  const out: Uint8Array[] = [];
  for (const raw of parts) {
    const part = raw.trim();
    // The unpadded length decides what is valid ("+=" is one character of base64: not a byte).
    const bytes = base64Pattern.test(part) ? decodeBase64(part) : undefined;
    if (!bytes) return undefined;
    out.push(bytes);
  }
  return out;
}
