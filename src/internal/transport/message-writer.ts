import type { Writable } from "node:stream";
import { prefixBytes } from "../envelope-reader.js";
import { writeEnvelope } from "../envelope.js";

/**
 * Writes the length-prefixed messages of one stream so that a peer that
 * does not read makes us hold little, and one that does costs few writes.
 *
 * One write is in flight at a time. Messages sent meanwhile are framed into
 * one batch, written as one when the write in flight completes. A message
 * that does not fit is held (not copied) and the sender told to wait: the
 * promise `send` returns settles once it has been handed to the stream. So
 * a blocked call holds one write, one small batch and at most one more
 * message; a node:http2 stream on its own would take 16 KiB of small writes,
 * each with its own buffer and write request. The batch starts small and
 * doubles, up to `maxBatchBytes`, each time the peer took a full one: a
 * stalled peer costs little, a fast one few writes.
 */
/** The largest batch by default: Buffer's pool serves allocations up to 4 KiB without an ArrayBuffer of their own. */
const defaultMaxBatchBytes = 4000;

export class MessageWriter {
  readonly #stream: Writable;
  readonly #maxBatchBytes: number;
  #batchBytes: number;
  #inFlight = 0;
  #batch: Buffer | undefined;
  #batchLength = 0;
  /** A message that did not fit in the batch, and its flags. */
  #held: Uint8Array | undefined;
  #heldFlags = 0;
  #waiter: (() => void) | undefined;
  /** `end` was asked for while writes were pending: end after them. */
  #endPending = false;
  #closed = false;
  /** One callback for every write of this stream, not a closure per write. */
  readonly #onWritten = (): void => {
    if (--this.#inFlight === 0) this.#flush();
  };

  constructor(stream: Writable, maxBatchBytes = defaultMaxBatchBytes, firstBatchBytes = Math.min(256, maxBatchBytes)) {
    this.#stream = stream;
    this.#maxBatchBytes = maxBatchBytes;
    this.#batchBytes = firstBatchBytes;
  }

  /** Sends one message; a promise when the sender should wait before the next one. */
  send(payload: Uint8Array, flags: number): Promise<void> | undefined {
    if (this.#closed) return undefined;
    if (this.#inFlight === 0 && this.#held === undefined && this.#batchLength === 0) {
      this.#write(payload, flags);
      return undefined;
    }
    if (this.#held !== undefined) {
      // A sender that did not wait: nothing is dropped and the order holds; the stream's own buffer takes it.
      this.#flush();
      this.#write(payload, flags);
      return undefined;
    }
    if (this.#append(payload, flags)) return undefined;
    // No room: hold it, and let the sender go on once it is out.
    this.#held = payload;
    this.#heldFlags = flags;
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  /** Sends `last` (if given) and ends the stream once everything before it is out. */
  end(last?: Uint8Array, flags = 0): void {
    if (this.#closed) return;
    // The call is ending: a sender still waiting has nothing more to send.
    this.#release();
    if (this.#inFlight === 0 && this.#held === undefined && this.#batchLength === 0) {
      this.#closed = true;
      if (last) writeEnvelope(this.#stream, last, flags, true);
      else this.#stream.end();
      return;
    }
    if (last && !(this.#held === undefined && this.#append(last, flags))) {
      // Behind a held message and a full batch: the stream's own buffer takes the last one.
      this.#flush();
      writeEnvelope(this.#stream, last, flags, false);
    }
    this.#endPending = true;
  }

  /** The call is over without a proper end (cancel, reset): drop what waits, and let a waiting sender go. */
  close(): void {
    this.#closed = true;
    this.#batch = undefined;
    this.#batchLength = 0;
    this.#held = undefined;
    this.#release();
  }

  #append(payload: Uint8Array, flags: number): boolean {
    const size = prefixBytes + payload.byteLength;
    if (size > this.#batchBytes - this.#batchLength) return false;
    const batch = (this.#batch ??= Buffer.allocUnsafe(this.#batchBytes));
    const at = this.#batchLength;
    batch[at] = flags;
    batch.writeUInt32BE(payload.byteLength, at + 1);
    batch.set(payload, at + prefixBytes);
    this.#batchLength = at + size;
    return true;
  }

  #write(payload: Uint8Array, flags: number): void {
    this.#inFlight++;
    writeEnvelope(this.#stream, payload, flags, false, this.#onWritten);
  }

  /** The write in flight is done: out goes the batch, then the held message; then the end, if asked for. */
  #flush(): void {
    if (this.#closed) return;
    const stream = this.#stream;
    if (this.#batchLength > 0) {
      const batch = this.#batch!.subarray(0, this.#batchLength);
      this.#batch = undefined;
      this.#batchLength = 0;
      this.#inFlight++;
      stream.write(batch, this.#onWritten);
    }
    const held = this.#held;
    if (held !== undefined) {
      // The peer took a full batch: the next one may be larger.
      if (this.#batchBytes < this.#maxBatchBytes) this.#batchBytes = Math.min(this.#batchBytes * 2, this.#maxBatchBytes);
      this.#held = undefined;
      this.#write(held, this.#heldFlags);
      this.#release();
    }
    // Everything is handed over: the end goes behind it.
    if (this.#endPending) {
      this.#closed = true;
      stream.end();
    }
  }

  #release(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }
}
