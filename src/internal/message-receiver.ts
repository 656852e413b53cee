import type { DescMessage, Message } from "@bufbuild/protobuf";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";
import type { Codec } from "../codec/codec.js";
import type { Compression } from "./compression.js";
import { parseMessage } from "./message-codec.js";

/** Where a `MessageReceiver` hands its results. */
export interface MessageSink {
  /** A parsed message; `compressed` tells whether it arrived with the compressed flag. */
  delivered(msg: Message, compressed: boolean): void;
  /** The stream broke: bad framing, a message over the limit, a failed decompression or parse. */
  fail(error: RpcError): void;
}

/**
 * The receiving half of a call, shared by client and server: turns the
 * payloads a wire has unframed (`receive`) into parsed messages, in order,
 * with the codec and the stream's encoding. Uncompressed
 * messages go through synchronously; a compressed one (whose inflation is
 * async) queues everything after it until it is done, and `whenIdle` lets
 * the end of the stream wait for that queue too.
 */
export class MessageReceiver {
  readonly #schema: DescMessage;
  readonly #maxBytes: number;
  readonly #codec: Codec;
  readonly #sink: MessageSink;
  /** The stream's `grpc-encoding`; undefined for identity. */
  compression: Compression | undefined;
  #pending: Promise<void> | undefined;
  #failed = false;

  constructor(schema: DescMessage, maxBytes: number, sink: MessageSink, codec: Codec) {
    this.#schema = schema;
    this.#maxBytes = maxBytes;
    this.#codec = codec;
    this.#sink = sink;
  }

  /** Receives one message payload, as framed (compressed or not). */
  receive(data: Uint8Array, compressed: boolean): void {
    if (this.#failed) return;
    if (compressed || this.#pending) this.#queue(data, compressed);
    else this.#deliver(data, false);
  }

  /** Whether every message received so far has been delivered (no decompression under way). */
  get idle(): boolean {
    return this.#pending === undefined;
  }

  /** Runs `fn` once every message received so far has been delivered (at once when none waits). */
  whenIdle(fn: () => void): void {
    if (this.#pending) this.#pending.then(fn);
    else fn();
  }

  #queue(payload: Uint8Array, compressed: boolean): void {
    const step = (this.#pending ?? Promise.resolve()).then(async () => {
      if (this.#failed) return;
      let data = payload;
      if (compressed) {
        if (!this.compression) throw new RpcError(Code.INTERNAL, "protocol error: compressed message without grpc-encoding");
        data = await this.compression.decompress(data, this.#maxBytes);
      }
      this.#deliver(data, compressed);
    });
    const tracked: Promise<void> = step.then(
      () => {
        if (this.#pending === tracked) this.#pending = undefined;
      },
      (e) => {
        if (this.#pending === tracked) this.#pending = undefined;
        this.#fail(RpcError.from(e, Code.INTERNAL));
      },
    );
    this.#pending = tracked;
  }

  #deliver(data: Uint8Array, compressed: boolean): void {
    if (this.#failed) return;
    let msg: Message;
    try {
      msg = parseMessage(this.#codec, this.#schema, data);
    } catch (e) {
      this.#fail(e as RpcError);
      return;
    }
    this.#sink.delivered(msg, compressed);
  }

  #fail(e: RpcError): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#sink.fail(e);
  }
}
