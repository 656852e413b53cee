/**
 * A single-consumer queue of received messages, read as an async iterator.
 *
 * The producer (an HTTP/2 stream) pushes; when more than `highWaterMark`
 * items wait, `onFull` runs (the producer pauses its stream, so HTTP/2 flow
 * control stops the peer) and `onDrain` runs once the reader catches up.
 * That keeps a slow reader from making us buffer without bound.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  readonly #items: T[] = [];
  #head = 0;
  #ended = false;
  #error: unknown = undefined;
  #waiter: { resolve: (r: IteratorResult<T> | Promise<never>) => void; reject: (e: unknown) => void } | undefined;
  #paused = false;

  constructor(
    private readonly highWaterMark: number,
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

  push(item: T): void {
    if (this.#ended) return;
    const w = this.#waiter;
    if (w) {
      this.#waiter = undefined;
      w.resolve({ value: item, done: false });
      return;
    }
    this.#items.push(item);
    if (!this.#paused && this.#items.length - this.#head >= this.highWaterMark) {
      this.#paused = true;
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
      this.#items[this.#head++] = undefined as T;
      if (this.#head === this.#items.length) {
        this.#items.length = 0;
        this.#head = 0;
      }
      if (this.#paused && this.#items.length - this.#head <= this.highWaterMark >> 1) {
        this.#paused = false;
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
    this.#head = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
