/**
 * A push-style source for client- and bidi-streaming calls: `write` a
 * message whenever you have one, `close` when done, and pass the object as
 * the call's request stream.
 *
 * `write` resolves once the call has taken the message, so awaiting it keeps
 * the producer in step with the network (backpressure).
 *
 * ```ts
 * const requests = createWritableIterable<ChatMessageInit>();
 * const replies = client.chat(requests);
 * await requests.write({ text: "hi" });
 * requests.close();
 * for await (const reply of replies) console.log(reply.text);
 * ```
 */
export interface WritableIterable<T> extends AsyncIterable<T> {
  /** Queues `value`; resolves when the reader takes it, rejects if the reader is gone. */
  write(value: T): Promise<void>;
  /** Ends the stream after what was written. */
  close(): void;
  /** Whether `close` was called or the reader stopped. */
  readonly closed: boolean;
}

export function createWritableIterable<T>(): WritableIterable<T> {
  const queue: { value: T; taken: () => void; dropped: (e: Error) => void }[] = [];
  let closed = false;
  let readerGone = false;
  let wake: (() => void) | undefined;

  const dropAll = () => {
    for (const item of queue.splice(0)) item.dropped(new Error("the stream's reader stopped reading"));
  };

  return {
    get closed() {
      return closed || readerGone;
    },
    write(value) {
      if (closed) return Promise.reject(new Error("write after close"));
      if (readerGone) return Promise.reject(new Error("the stream's reader stopped reading"));
      return new Promise<void>((taken, dropped) => {
        queue.push({ value, taken, dropped });
        wake?.();
      });
    },
    close() {
      closed = true;
      wake?.();
    },
    [Symbol.asyncIterator]() {
      return {
        async next(): Promise<IteratorResult<T>> {
          for (;;) {
            const item = queue.shift();
            if (item) {
              item.taken();
              return { value: item.value, done: false };
            }
            if (closed || readerGone) return { value: undefined, done: true };
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
          }
        },
        async return(): Promise<IteratorResult<T>> {
          readerGone = true;
          dropAll();
          return { value: undefined, done: true };
        },
      };
    },
  };
}
