import type { Writable } from "node:stream";

/**
 * Waits for a stream's 'drain' after a write that filled its buffer, so
 * that a sender never queues without bound. The listener is added on the
 * first wait only: most unary calls never fill a buffer.
 */
export class DrainWaiter {
  #waiter: (() => void) | undefined;
  #listening = false;

  /** Resolves on the stream's next 'drain', or on `release()`. */
  wait(stream: Writable): Promise<void> {
    if (!this.#listening) {
      this.#listening = true;
      stream.on("drain", () => this.release());
    }
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  /**
   * Writes with `write(done)` and resolves once that write has been flushed
   * (or on `release()`): for a sender that already has enough queued.
   */
  flushed(write: (done: () => void) => void): Promise<void> {
    return new Promise((resolve) => {
      this.#waiter = resolve;
      write(() => this.release());
    });
  }

  /** Lets a waiting writer go on: the stream drained, or the call ended. */
  release(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }
}
