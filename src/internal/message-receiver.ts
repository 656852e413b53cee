import type { DescMessage, Message } from "@bufbuild/protobuf";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";
import type { Codec } from "../codec/codec.js";
import type { Compression } from "./compression.js";
import { messageOverheadBytes } from "./limits.js";
import { parseMessage } from "./message-codec.js";

/** Where a `MessageReceiver` hands its results. */
export interface MessageSink {
  /**
   * A parsed message; `compressed` tells whether it arrived with the
   * compressed flag, `bytes` what it costs to hold (its size as received,
   * inflated, plus a fixed overhead).
   */
  delivered(msg: Message, compressed: boolean, bytes: number): void;
  /** The stream broke: bad framing, a message over the limit, a failed decompression or parse. */
  fail(error: RpcError): void;
}

/** The stream a receiver reads: paused while it holds too much, so HTTP/2 flow control stops the peer. */
export interface ReceiveFlow {
  pause(): void;
  resume(): void;
}

/**
 * The receiving half of a call, shared by client and server: turns the
 * payloads a wire has unframed (`receive`) into parsed messages, in order,
 * with the codec and the stream's encoding.
 *
 * Memory stays bounded by bytes whatever the peer sends. While the reader
 * keeps up, an uncompressed message goes through synchronously. Otherwise
 * (the sink's queue is full: `hold`) payloads are kept as received, and a
 * compressed payload is inflated only when the reader has room for it, one
 * at a time: a few KiB of gzip never become GiBs of queued messages. Once
 * what is held reaches `highWaterBytes` the stream is paused, and it resumes
 * when the reader has caught up (`release`). `whenIdle` lets the end of the
 * stream wait until everything received has been delivered.
 */
export class MessageReceiver {
  readonly #schema: DescMessage;
  readonly #maxBytes: number;
  readonly #codec: Codec;
  readonly #sink: MessageSink;
  readonly #flow: ReceiveFlow | undefined;
  readonly #highWaterBytes: number;
  /** The stream's `grpc-encoding`; undefined for identity. */
  compression: Compression | undefined;
  /** Payloads received and not yet delivered, from `#head` on. */
  #held: { data: Uint8Array; compressed: boolean }[] = [];
  #head = 0;
  #heldBytes = 0;
  #inflating = false;
  /** The sink cannot take more now. */
  #blocked = false;
  #flowPaused = false;
  /** Failed or discarded: nothing more is delivered. */
  #stopped = false;
  #idleWaiters: (() => void)[] | undefined;

  constructor(schema: DescMessage, maxBytes: number, sink: MessageSink, codec: Codec, flow?: ReceiveFlow, highWaterBytes = Infinity) {
    this.#schema = schema;
    this.#maxBytes = maxBytes;
    this.#codec = codec;
    this.#sink = sink;
    this.#flow = flow;
    this.#highWaterBytes = highWaterBytes;
  }

  /** Receives one message payload, as framed (compressed or not). */
  receive(data: Uint8Array, compressed: boolean): void {
    if (this.#stopped) return;
    if (!compressed && !this.#blocked && !this.#inflating && this.#head === this.#held.length) {
      this.#deliver(data, false);
      return;
    }
    this.#held.push({ data, compressed });
    this.#heldBytes += data.byteLength + messageOverheadBytes;
    this.#pump();
  }

  /** The sink is full: deliver nothing more until `release`, and stop the peer. */
  hold(): void {
    this.#blocked = true;
    this.#updateFlow();
  }

  /** The sink has room again: deliver what is held, and let the peer send once little is held. */
  release(): void {
    this.#blocked = false;
    this.#pump();
  }

  /** The reader is gone or the call ended: drop what is held and what arrives (the stream keeps flowing). */
  discard(): void {
    this.#stop();
  }

  /** Bytes received and not yet delivered, as counted against the high-water mark. */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Whether every message received so far has been delivered (nothing held, no decompression under way). */
  get idle(): boolean {
    return this.#stopped || (!this.#inflating && this.#head === this.#held.length);
  }

  /** Runs `fn` once every message received so far has been delivered (at once when none waits), or the receiver stopped. */
  whenIdle(fn: () => void): void {
    if (this.idle) fn();
    else (this.#idleWaiters ??= []).push(fn);
  }

  #pump(): void {
    while (!this.#stopped && !this.#blocked && !this.#inflating && this.#head < this.#held.length) {
      const item = this.#held[this.#head]!;
      this.#held[this.#head++] = undefined as never;
      if (this.#head === this.#held.length) {
        this.#held = [];
        this.#head = 0;
      }
      this.#heldBytes -= item.data.byteLength + messageOverheadBytes;
      if (item.compressed) this.#inflate(item.data);
      else this.#deliver(item.data, false);
    }
    this.#updateFlow();
    if (this.idle) this.#wakeIdle();
  }

  #inflate(data: Uint8Array): void {
    const compression = this.compression;
    if (!compression) {
      this.#stop(new RpcError(Code.INTERNAL, "protocol error: compressed message without grpc-encoding"));
      return;
    }
    this.#inflating = true;
    compression.decompress(data, this.#maxBytes).then(
      (out) => {
        this.#inflating = false;
        this.#deliver(out, true);
        this.#pump();
      },
      (e) => {
        this.#inflating = false;
        this.#stop(RpcError.from(e, Code.INTERNAL));
      },
    );
  }

  #deliver(data: Uint8Array, compressed: boolean): void {
    if (this.#stopped) return;
    let msg: Message;
    try {
      msg = parseMessage(this.#codec, this.#schema, data);
    } catch (e) {
      this.#stop(e as RpcError);
      return;
    }
    this.#sink.delivered(msg, compressed, data.byteLength + messageOverheadBytes);
  }

  /** Pauses the stream while the sink is full or too much is held; resumes once both have eased. */
  #updateFlow(): void {
    const flow = this.#flow;
    if (!flow) return;
    if (this.#stopped || (!this.#blocked && this.#heldBytes <= this.#highWaterBytes / 2)) {
      if (this.#flowPaused) {
        this.#flowPaused = false;
        flow.resume();
      }
    } else if (!this.#flowPaused && (this.#blocked || this.#heldBytes >= this.#highWaterBytes)) {
      this.#flowPaused = true;
      flow.pause();
    }
  }

  /** Drops what is held; with `error`, tells the sink before whoever waits for idle. */
  #stop(error?: RpcError): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#held.length > 0) this.#held = [];
    this.#head = 0;
    this.#heldBytes = 0;
    if (error) this.#sink.fail(error);
    this.#updateFlow();
    this.#wakeIdle();
  }

  #wakeIdle(): void {
    const waiters = this.#idleWaiters;
    if (!waiters) return;
    this.#idleWaiters = undefined;
    for (const fn of waiters) fn();
  }
}
