import { Code } from "../../status/code.js";
import { RpcError } from "../../status/rpc-error.js";

/** One length-prefixed frame: its flags byte and its payload. */
export interface Frame {
  flags: number;
  data: Uint8Array;
}

/**
 * Splits a body into length-prefixed frames (1 flags byte, 4 length bytes,
 * payload) whatever its chunking, with plain `Uint8Array`s so that it runs
 * in browsers. A frame over `maxBytes` fails with RESOURCE_EXHAUSTED before
 * its payload is buffered.
 */
export class FrameReader {
  readonly #maxBytes: number;
  #buffer: Uint8Array = new Uint8Array(0);

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Whether a frame has started and not finished. */
  get partial(): boolean {
    return this.#buffer.byteLength > 0;
  }

  push(chunk: Uint8Array): Frame[] {
    let buf = this.#buffer;
    if (buf.byteLength === 0) buf = chunk;
    else {
      const joined = new Uint8Array(buf.byteLength + chunk.byteLength);
      joined.set(buf);
      joined.set(chunk, buf.byteLength);
      buf = joined;
    }
    const out: Frame[] = [];
    let at = 0;
    while (buf.byteLength - at >= 5) {
      const length = new DataView(buf.buffer, buf.byteOffset + at + 1, 4).getUint32(0);
      if (length > this.#maxBytes) throw new RpcError(Code.RESOURCE_EXHAUSTED, `message of ${length} bytes is larger than the limit of ${this.#maxBytes} bytes`);
      if (buf.byteLength - at - 5 < length) break;
      out.push({ flags: buf[at]!, data: buf.subarray(at + 5, at + 5 + length) });
      at += 5 + length;
    }
    // Keep only the unfinished rest, copied: the chunk it came from may be reused by the reader.
    this.#buffer = at === buf.byteLength ? new Uint8Array(0) : buf.slice(at);
    return out;
  }
}

/** Frames `payload` with `flags`. */
export function encodeFrame(payload: Uint8Array, flags: number): Uint8Array {
  const out = new Uint8Array(5 + payload.byteLength);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, payload.byteLength);
  out.set(payload, 5);
  return out;
}
