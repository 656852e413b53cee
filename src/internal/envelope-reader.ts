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

/** Receives the messages an `EnvelopeReader` completes, as they are read (see `EnvelopeReader.read`). */
export interface EnvelopeSink {
  envelope(flags: number, data: Uint8Array): void;
}

/** The payload of every empty message: nothing to copy, nothing to allocate. */
const emptyPayload = new Uint8Array(0);

/** The compressed flag, in every protocol that frames messages this way. */
export const flagCompressed = 0x01;

/** Bytes of the prefix: one flag byte, four length bytes (big-endian). */
export const prefixBytes = 5;

/**
 * Splits a byte stream into messages, whatever the split of the DATA frames:
 * `read` takes chunks as they arrive and hands each message they complete to
 * a sink (`push` returns them instead).
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

  /** The messages that `chunk` completes, as an array (for tests and one-off reads; the wires use `read`). */
  push(chunk: Uint8Array, out: Envelope[] = []): Envelope[] {
    this.read(chunk, { envelope: (flags, data) => void out.push({ flags, data }) });
    return out;
  }

  /**
   * Hands `sink` each message that `chunk` completes, in order, as it is
   * read: no array and no object per message. Throws on a bad prefix, after
   * the messages before it.
   */
  read(chunk: Uint8Array, sink: EnvelopeSink): void {
    if (chunk.byteLength === 0) return;
    if (this.#buffered === 0) {
      this.#readInPlace(chunk, 0, sink);
      return;
    }
    this.#chunks.push(chunk);
    this.#buffered += chunk.byteLength;
    for (;;) {
      if (this.#length < 0) {
        if (this.#buffered < prefixBytes) return;
        this.#readPrefix();
      }
      if (this.#buffered < this.#length) return;
      const flags = this.#flags;
      const data = this.#take(this.#length);
      this.#length = -1;
      if (this.#chunks.length === 1) {
        // What was buffered is read: the rest of the newest chunk is read in place.
        const last = this.#chunks.pop()!;
        const offset = this.#offset;
        this.#offset = 0;
        this.#buffered = 0;
        sink.envelope(flags, data);
        this.#readInPlace(last, offset, sink);
        return;
      }
      sink.envelope(flags, data);
      if (this.#buffered === 0) return;
    }
  }

  /**
   * Reads `chunk` from `offset` on, with nothing buffered before it (nearly
   * always): the messages that lie whole in it are views of it, and only a
   * piece left over is buffered.
   */
  #readInPlace(chunk: Uint8Array, offset: number, sink: EnvelopeSink): void {
    let o = offset;
    const end = chunk.byteLength;
    if (this.#length >= 0) {
      // A message whose prefix came in the last chunk, and none of its body.
      const length = this.#length;
      if (end - o < length) {
        this.#keep(chunk, o);
        return;
      }
      this.#length = -1;
      sink.envelope(this.#flags, length === 0 ? emptyPayload : new Uint8Array(chunk.buffer, chunk.byteOffset + o, length));
      o += length;
    }
    while (end - o >= prefixBytes) {
      const flags = chunk[o]!;
      const length = readLength(chunk, o + 1);
      this.#check(flags, length);
      if (end - o - prefixBytes < length) {
        this.#length = length;
        this.#flags = flags;
        this.#keep(chunk, o + prefixBytes);
        return;
      }
      const at = o + prefixBytes;
      o = at + length;
      sink.envelope(flags, length === 0 ? emptyPayload : new Uint8Array(chunk.buffer, chunk.byteOffset + at, length));
    }
    if (o !== end) this.#keep(chunk, o);
  }

  /** Buffers what is left of `chunk` from `offset` on. */
  #keep(chunk: Uint8Array, offset: number): void {
    if (offset < chunk.byteLength) {
      this.#chunks.push(chunk);
      this.#offset = offset;
      this.#buffered = chunk.byteLength - offset;
    }
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
    if (n === 0) return emptyPayload;
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
