import type { ServerCall } from "./server-call.js";

/**
 * The calls in flight of a server, whatever carries them (HTTP/2, the
 * in-memory transport), so that a shutdown can wait for them and then end
 * the rest. A `Set` that says when it empties, so nothing polls.
 */
export class ActiveCalls extends Set<ServerCall> {
  #waiters: (() => void)[] = [];

  override delete(call: ServerCall): boolean {
    const deleted = super.delete(call);
    if (deleted && this.size === 0 && this.#waiters.length > 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w();
    }
    return deleted;
  }

  /** Resolves once no call is in flight. */
  whenEmpty(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
