import type { Writable } from "node:stream";
import { flagCompressed, prefixBytes } from "./envelope-reader.js";

export { EnvelopeReader, flagCompressed, prefixBytes, type Envelope, type EnvelopeSink } from "./envelope-reader.js";

/** Frames `payload` as one message with `flags` (or just the compressed flag), in a single new buffer. */
export function encodeEnvelope(payload: Uint8Array, flags: number | boolean = 0): Buffer {
  const out = Buffer.allocUnsafe(prefixBytes + payload.byteLength);
  out[0] = flags === true ? flagCompressed : flags === false ? 0 : flags;
  out.writeUInt32BE(payload.byteLength, 1);
  out.set(payload, prefixBytes);
  return out;
}

/** From this size on, a payload is written beside its prefix instead of copied behind it. */
const copyLimitBytes = 16 * 1024;

/**
 * Writes one message to `stream` (and ends the stream when `end`), returning
 * what `write` returned. Small payloads are copied behind their prefix into
 * one buffer; large ones go out as prefix and payload in one corked write,
 * which spares a copy of the payload.
 */
export function writeEnvelope(
  stream: Writable,
  payload: Uint8Array,
  flags: number,
  end: boolean,
  written?: (error?: Error | null) => void,
): boolean {
  if (payload.byteLength < copyLimitBytes) {
    const frame = encodeEnvelope(payload, flags);
    if (end) {
      stream.end(frame);
      return true;
    }
    return written ? stream.write(frame, written) : stream.write(frame);
  }
  const prefix = Buffer.allocUnsafe(prefixBytes);
  prefix[0] = flags;
  prefix.writeUInt32BE(payload.byteLength, 1);
  stream.cork();
  stream.write(prefix);
  const ok = end ? (stream.end(payload), true) : written ? stream.write(payload, written) : stream.write(payload);
  stream.uncork();
  return ok;
}
