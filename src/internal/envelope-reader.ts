import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";

/** One length-prefixed message as read off the wire. */
export interface Envelope {
  /**
   * The flag byte. Bit 0 (`flagCompressed`) says the payload is encoded with
   * the stream's `grpc-encoding`; other bits are the protocol's: gRPC-Web
   * marks its trailer frame with 0x80, Connect its end-of-stream with 0x02.
   */
  flags: number;
  data: Uint8Array;
}

/** The compressed flag, in every protocol that frames messages this way. */
export const flagCompressed = 0x01;

/** Bytes of the prefix: one flag byte, four length bytes (big-endian). */
export const prefixBytes = 5;

/**
 * Splits a byte stream into messages, whatever the split of the DATA frames:
 * `push` takes chunks as they arrive and returns the messages they complete.
 * A message over `maxBytes` fails with RESOURCE_EXHAUSTED before its body is
 * buffered; a flag bit outside `allowedFlags` fails with INTERNAL. Payloads
 * that sit inside one chunk are views of it, not copies. Plain `Uint8Array`s,
 * no Node API: the browser transports read their responses with it too.
 */
export class EnvelopeReader {
  readonly #maxBytes: number;
  readonly #allowedFlags: number;
  #chunks: Uint8Array[] = [];
  /** Bytes of `#chunks[0]` already consumed: chunks are read in place, not re-sliced. */
  #offset = 0;
  #buffered = 0;
  /** Length of the message whose prefix was read, or -1 while reading a prefix. */
  #length = -1;
  #flags = 0;

  /** `allowedFlags`: the flag bits the protocol permits in this direction (default: only compressed). */
  constructor(maxBytes: number, allowedFlags = flagCompressed) {
    this.#maxBytes = maxBytes;
    this.#allowedFlags = allowedFlags;
  }

  /** Whether a message has started and not finished: a stream ending now is truncated. */
  get partial(): boolean {
    return this.#buffered > 0 || this.#length >= 0;
  }

  push(chunk: Uint8Array, out: Envelope[] = []): Envelope[] {
    if (chunk.byteLength === 0) return out;
    if (this.#buffered === 0) return this.#readInPlace(chunk, 0, out);
    this.#chunks.push(chunk);
    this.#buffered += chunk.byteLength;
    for (;;) {
      if (this.#length < 0) {
        if (this.#buffered < prefixBytes) return out;
        this.#readPrefix();
      }
      if (this.#buffered < this.#length) return out;
      out.push({ flags: this.#flags, data: this.#take(this.#length) });
      this.#length = -1;
      if (this.#chunks.length === 1) {
        // What was buffered is read: the rest of the newest chunk is read in place.
        const last = this.#chunks.pop()!;
        const offset = this.#offset;
        this.#offset = 0;
        this.#buffered = 0;
        return this.#readInPlace(last, offset, out);
      }
      if (this.#buffered === 0) return out;
    }
  }

  /**
   * Reads `chunk` from `offset` on, with nothing buffered before it (nearly
   * always): the messages that lie whole in it are views of it, and only a
   * piece left over is buffered.
   */
  #readInPlace(chunk: Uint8Array, offset: number, out: Envelope[]): Envelope[] {
    let o = offset;
    const end = chunk.byteLength;
    if (this.#length >= 0) {
      // A message whose prefix came in the last chunk, and none of its body.
      if (end - o < this.#length) return this.#keep(chunk, o, out);
      out.push({ flags: this.#flags, data: this.#length === 0 ? new Uint8Array(0) : new Uint8Array(chunk.buffer, chunk.byteOffset + o, this.#length) });
      o += this.#length;
      this.#length = -1;
    }
    while (end - o >= prefixBytes) {
      const flags = chunk[o]!;
      const length = readLength(chunk, o + 1);
      this.#check(flags, length);
      if (end - o - prefixBytes < length) {
        this.#length = length;
        this.#flags = flags;
        return this.#keep(chunk, o + prefixBytes, out);
      }
      out.push({ flags, data: length === 0 ? new Uint8Array(0) : new Uint8Array(chunk.buffer, chunk.byteOffset + o + prefixBytes, length) });
      o += prefixBytes + length;
    }
    return o === end ? out : this.#keep(chunk, o, out);
  }

  /** Buffers what is left of `chunk` from `offset` on. */
  #keep(chunk: Uint8Array, offset: number, out: Envelope[]): Envelope[] {
    if (offset < chunk.byteLength) {
      this.#chunks.push(chunk);
      this.#offset = offset;
      this.#buffered = chunk.byteLength - offset;
    }
    return out;
  }

  #check(flags: number, length: number): void {
    if ((flags & ~this.#allowedFlags) !== 0) {
      throw new RpcError(Code.INTERNAL, `protocol error: invalid message flags 0x${flags.toString(16)}`);
    }
    if (length > this.#maxBytes) {
      throw new RpcError(Code.RESOURCE_EXHAUSTED, `message of ${length} bytes is larger than the limit of ${this.#maxBytes} bytes`);
    }
  }

  #readPrefix(): void {
    let flags: number;
    let length: number;
    const first = this.#chunks[0]!;
    const o = this.#offset;
    if (first.byteLength - o >= prefixBytes) {
      flags = first[o]!;
      length = readLength(first, o + 1);
      this.#skip(prefixBytes);
    } else {
      const prefix = this.#take(prefixBytes);
      flags = prefix[0]!;
      length = readLength(prefix, 1);
    }
    this.#check(flags, length);
    this.#length = length;
    this.#flags = flags;
  }

  /** Drops `n` bytes that lie inside the first chunk. */
  #skip(n: number): void {
    this.#buffered -= n;
    this.#offset += n;
    if (this.#offset === this.#chunks[0]!.byteLength) {
      this.#chunks.shift();
      this.#offset = 0;
    }
  }

  /** Removes `n` buffered bytes from the front: a view when one chunk holds them all. */
  #take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const first = this.#chunks[0]!;
    const o = this.#offset;
    if (first.byteLength - o >= n) {
      const view = new Uint8Array(first.buffer, first.byteOffset + o, n);
      this.#skip(n);
      return view;
    }
    this.#buffered -= n;
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0]!;
      const from = this.#offset;
      const want = n - filled;
      const have = chunk.byteLength - from;
      if (have <= want) {
        out.set(from === 0 ? chunk : chunk.subarray(from), filled);
        filled += have;
        this.#chunks.shift();
        this.#offset = 0;
      } else {
        out.set(chunk.subarray(from, from + want), filled);
        this.#offset = from + want;
        filled = n;
      }
    }
    return out;
  }
}

/** A big-endian 32-bit length at `at`. */
function readLength(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
}
