import type { Message } from "@bufbuild/protobuf";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";
import type { ClientCall } from "./client-call.js";

/**
 * The request of a retrying call, as its attempts need it: every attempt
 * gets the whole request from the start, for as long as the call can replay
 * it (gRFC A6 "Memory Management").
 */
export interface RequestReplay {
  /** Whether a retry or hedge can still be given the whole request. */
  readonly replayable: boolean;
  /** Whether a transparent retry can (a unary request is at hand anyway, whatever the buffer limits). */
  readonly resendable: boolean;
  /** Sends the request to a new attempt, from its first message. */
  sendTo(attempt: ClientCall): void;
  /** The call committed to `attempt`: keep nothing for other attempts. */
  commit(attempt: ClientCall): void;
  /** The call ended: release what is held, stop reading the source. */
  stop(): void;
}

/**
 * The bytes a channel lets its calls keep for replay, shared by all of them
 * (`ChannelOptions.retryBufferBytes`).
 */
export interface RetryBufferBudget {
  /** Takes `bytes` from the budget; false (and nothing taken) when they do not fit. */
  reserve(bytes: number): boolean;
  release(bytes: number): void;
}

export function createRetryBufferBudget(totalBytes: number): RetryBufferBudget {
  let free = totalBytes;
  return {
    reserve(bytes) {
      if (bytes > free) return false;
      free -= bytes;
      return true;
    },
    release(bytes) {
      free += bytes;
    },
  };
}

/**
 * The one serialized message of a unary or server-streaming call. With a
 * retry or hedging policy (a `budget`) its bytes count against the buffer
 * limits; a message that does not fit is sent once, never replayed by the
 * policy. A transparent retry can always resend it.
 */
export class UnaryReplay implements RequestReplay {
  readonly #bytes: Uint8Array;
  readonly #budget: RetryBufferBudget | undefined;
  #held = 0;
  #replayable = false;

  constructor(bytes: Uint8Array, budget: RetryBufferBudget | undefined, perCallBytes: number) {
    this.#bytes = bytes;
    this.#budget = budget;
    if (budget && bytes.byteLength <= perCallBytes && budget.reserve(bytes.byteLength)) {
      this.#held = bytes.byteLength;
      this.#replayable = true;
    }
  }

  get replayable(): boolean {
    return this.#replayable;
  }

  get resendable(): boolean {
    return true;
  }

  sendTo(attempt: ClientCall): void {
    attempt.sendLast(this.#bytes);
  }

  commit(): void {
    this.#release();
  }

  stop(): void {
    this.#release();
  }

  #release(): void {
    this.#replayable = false;
    if (this.#held === 0) return;
    this.#budget!.release(this.#held);
    this.#held = 0;
  }
}

/** What a streamed request replay tells its call. */
export interface StreamReplayEvents {
  /** The request outgrew its buffer: the call must commit to `leader`, the attempt that has sent the most. */
  overflow(leader: ClientCall): void;
  /** The source failed, or a message could not be serialized: the call fails with `error`. */
  failed(error: RpcError): void;
}

interface Entry {
  readonly bytes: Uint8Array;
  readonly compress: boolean;
}

const stopped: unique symbol = Symbol("stopped");

/**
 * The request stream of a client-streaming or bidi call, read from its
 * source once and sent to each attempt from the start: messages are kept
 * serialized (never serialized twice) until the call commits to one
 * attempt or the buffer limits are reached. The source is read only when an
 * attempt wants its next message, so the slowest reader of the source is
 * the fastest attempt and backpressure holds.
 */
export class StreamReplay implements RequestReplay {
  readonly #source: AsyncIterator<Message>;
  readonly #serialize: (message: Message) => Uint8Array;
  readonly #compressMessage: ((m: Message, i: number) => boolean) | undefined;
  readonly #budget: RetryBufferBudget;
  readonly #perCallBytes: number;
  readonly #events: StreamReplayEvents;
  /** Messages from index `#base` on; earlier ones are dropped. */
  #entries: Entry[] = [];
  #base = 0;
  #read = 0;
  #heldBytes = 0;
  #sourceDone = false;
  #pulling: Promise<void> | undefined;
  #stopped = false;
  /** Ends the wait of the pull in progress when the replay stops. */
  #wake: ((s: typeof stopped) => void) | undefined;
  #committed: ClientCall | undefined;
  #replayable = true;
  /** Messages each attempt in progress has taken. */
  readonly #progress = new Map<ClientCall, number>();

  constructor(
    source: AsyncIterable<Message>,
    serialize: (message: Message) => Uint8Array,
    compressMessage: ((m: Message, i: number) => boolean) | undefined,
    budget: RetryBufferBudget,
    perCallBytes: number,
    events: StreamReplayEvents,
  ) {
    this.#source = source[Symbol.asyncIterator]();
    this.#serialize = serialize;
    this.#compressMessage = compressMessage;
    this.#budget = budget;
    this.#perCallBytes = perCallBytes;
    this.#events = events;
  }

  get replayable(): boolean {
    return this.#replayable && this.#base === 0;
  }

  get resendable(): boolean {
    return this.replayable;
  }

  sendTo(attempt: ClientCall): void {
    if (this.#base !== 0) return;
    this.#progress.set(attempt, 0);
    void this.#run(attempt);
  }

  commit(attempt: ClientCall): void {
    this.#committed = attempt;
    this.#replayable = false;
    this.#budget.release(this.#heldBytes);
    this.#heldBytes = 0;
    this.#dropBefore(this.#progress.get(attempt) ?? 0);
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#wake?.(stopped);
    this.#budget.release(this.#heldBytes);
    this.#heldBytes = 0;
    this.#entries = [];
    // Tells a source still waiting for its producer that nobody reads any more (pending writes fail, not hang).
    if (!this.#sourceDone) void this.#source.return?.()?.catch?.(() => undefined);
  }

  async #run(attempt: ClientCall): Promise<void> {
    let i = 0;
    try {
      for (;;) {
        if (attempt.ended || this.#stopped) return;
        if (i < this.#base + this.#entries.length) {
          const entry = this.#entries[i - this.#base]!;
          i++;
          this.#progress.set(attempt, i);
          if (this.#committed === attempt) this.#dropBefore(i);
          const wait = attempt.send(entry.bytes, entry.compress);
          if (wait) await wait;
        } else if (this.#sourceDone) {
          attempt.halfClose();
          return;
        } else {
          await (this.#pulling ??= this.#pull());
        }
      }
    } finally {
      this.#progress.delete(attempt);
    }
  }

  /**
   * The source's next message, or `stopped`. Not `Promise.race` with one
   * promise for the whole call: every race would leave a reaction on it that
   * holds its message until the call ends (every message of a long stream).
   */
  #next(): Promise<IteratorResult<Message> | typeof stopped> {
    return new Promise((resolve, reject) => {
      this.#wake = resolve;
      this.#source.next().then(
        (r) => {
          this.#wake = undefined;
          resolve(r);
        },
        (e: unknown) => {
          this.#wake = undefined;
          reject(e);
        },
      );
    });
  }

  async #pull(): Promise<void> {
    try {
      const r = await this.#next();
      if (r === stopped) return;
      if (r.done) {
        this.#sourceDone = true;
        return;
      }
      const bytes = this.#serialize(r.value);
      const compress = this.#compressMessage ? this.#compressMessage(r.value, this.#read) : true;
      this.#read++;
      this.#entries.push({ bytes, compress });
      if (this.#committed === undefined && this.#replayable) this.#hold(bytes.byteLength);
    } catch (e) {
      this.#sourceDone = true;
      this.#events.failed(RpcError.from(e, Code.CANCELLED));
    } finally {
      this.#pulling = undefined;
    }
  }

  #hold(bytes: number): void {
    if (this.#heldBytes + bytes <= this.#perCallBytes && this.#budget.reserve(bytes)) {
      this.#heldBytes += bytes;
      return;
    }
    this.#replayable = false;
    let leader: ClientCall | undefined;
    let most = -1;
    for (const [attempt, taken] of this.#progress) {
      if (!attempt.ended && taken > most) (leader = attempt), (most = taken);
    }
    if (leader) this.#events.overflow(leader);
  }

  #dropBefore(index: number): void {
    const n = index - this.#base;
    if (n <= 0) return;
    this.#entries.splice(0, n);
    this.#base = index;
  }
}
