/**
 * A single-consumer queue of received messages, read as an async iterator.
 *
 * The producer pushes each item with its size in bytes; once `highWaterBytes`
 * wait, `onFull` runs (the producer stops: it holds what still arrives and
 * pauses its stream, so HTTP/2 flow control stops the peer), and `onDrain`
 * runs once the reader has taken the queue down to half of that. Counting
 * bytes, not items, is what bounds the memory a reader that does not keep
 * up makes us hold: at most `highWaterBytes` plus one item.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  readonly #items: T[] = [];
  readonly #sizes: number[] = [];
  #head = 0;
  #queuedBytes = 0;
  #ended = false;
  #error: unknown = undefined;
  #waiter: { resolve: (r: IteratorResult<T> | Promise<never>) => void; reject: (e: unknown) => void } | undefined;
  #full = false;

  constructor(
    private readonly highWaterBytes: number,
    private readonly onFull: () => void,
    private readonly onDrain: () => void,
    /** Runs when the reader stops early (`return()`): the consumer gave up. */
    private readonly onCancel: () => void,
    /**
     * Makes the rejected promise through which the reader's `next()` fails
     * (a client adds the caller's frames to the error's stack there).
     * Default: `Promise.reject(error)`.
     */
    private readonly rejectReader?: (error: unknown) => Promise<never>,
  ) {}

  /** Whether the queue is over its high-water mark (and has not drained since). */
  get full(): boolean {
    return this.#full;
  }

  /** Bytes of the items waiting for the reader. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Queues `item`, which costs `bytes` of memory while it waits; a waiting reader takes it at once. */
  push(item: T, bytes: number): void {
    if (this.#ended) return;
    const w = this.#waiter;
    if (w) {
      this.#waiter = undefined;
      w.resolve({ value: item, done: false });
      return;
    }
    this.#items.push(item);
    this.#sizes.push(bytes);
    this.#queuedBytes += bytes;
    if (!this.#full && this.#queuedBytes >= this.highWaterBytes) {
      this.#full = true;
      this.onFull();
    }
  }

  /** No more items: the reader sees the end after what is queued, or `error` if given. */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    const w = this.#waiter;
    if (w) {
      this.#waiter = undefined;
      if (error === undefined) w.resolve({ value: undefined, done: true });
      else if (this.rejectReader) w.resolve(this.rejectReader(error));
      else w.reject(error);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head]!;
      this.#queuedBytes -= this.#sizes[this.#head]!;
      this.#items[this.#head++] = undefined as T;
      if (this.#head === this.#items.length) {
        this.#items.length = 0;
        this.#sizes.length = 0;
        this.#head = 0;
      }
      if (this.#full && this.#queuedBytes <= this.highWaterBytes / 2) {
        this.#full = false;
        this.onDrain();
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) {
      if (this.#error === undefined) return Promise.resolve({ value: undefined, done: true });
      return this.rejectReader ? this.rejectReader(this.#error) : Promise.reject(this.#error);
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.#ended) {
      this.end();
      this.onCancel();
    }
    this.#items.length = 0;
    this.#sizes.length = 0;
    this.#head = 0;
    this.#queuedBytes = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
