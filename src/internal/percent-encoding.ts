/**
 * `grpc-message` is UTF-8, percent-encoded: bytes outside printable ASCII
 * and `%` itself become `%XX` (`doc/PROTOCOL-HTTP2.md`, "Responses").
 */

const hex = "0123456789ABCDEF";
const utf8 = new TextEncoder();

export function encodeGrpcMessage(message: string): string {
  let plain = true;
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return message;
  let out = "";
  for (const byte of utf8.encode(message)) {
    if (byte >= 0x20 && byte <= 0x7e && byte !== 0x25) out += String.fromCharCode(byte);
    else out += "%" + hex[byte >> 4] + hex[byte & 15];
  }
  return out;
}

const decoder = new TextDecoder("utf-8", { fatal: false });

/**
 * Decodes a received `grpc-message`. Never fails: a `%` not followed by two
 * hex digits stays as it is, and invalid UTF-8 becomes U+FFFD.
 */
export function decodeGrpcMessage(text: string): string {
  if (!text.includes("%")) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 && i + 2 < text.length && isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      const cp = text.codePointAt(i)!;
      for (const b of utf8.encode(String.fromCodePoint(cp))) bytes.push(b);
      if (cp > 0xffff) i++;
    }
  }
  return decoder.decode(new Uint8Array(bytes));
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
