/** Links that a call in flight carries, so that `ActiveCalls` holds it without a table entry of its own. */
export interface ActiveLinks {
  /** @internal The call before this one in its server's list; only `ActiveCalls` writes it. */
  activePrev: ActiveLinks | undefined;
  /** @internal The call after this one. */
  activeNext: ActiveLinks | undefined;
}

/**
 * The calls in flight of a server, whatever carries them (HTTP/2, the
 * in-memory transport), so that a shutdown can wait for them and then end
 * the rest; it says when it empties, so nothing polls. A list threaded
 * through the calls themselves: adding and removing a call writes a few
 * fields, where a `Set` would hash it and grow and shrink its table as the
 * number of calls in flight goes up and down.
 */
export class ActiveCalls<T extends ActiveLinks> {
  #head: T | undefined;
  #size = 0;
  #waiters: (() => void)[] = [];

  get size(): number {
    return this.#size;
  }

  add(call: T): void {
    const head = this.#head;
    call.activePrev = undefined;
    call.activeNext = head;
    if (head) head.activePrev = call;
    this.#head = call;
    this.#size++;
  }

  /** Removes `call` if it is in the list (it must not be in another server's); says whether it was. */
  delete(call: T): boolean {
    const prev = call.activePrev;
    const next = call.activeNext;
    if (prev === undefined && this.#head !== call) return false;
    if (prev) prev.activeNext = next;
    else this.#head = next as T | undefined;
    if (next) next.activePrev = prev;
    call.activePrev = undefined;
    call.activeNext = undefined;
    if (--this.#size === 0 && this.#waiters.length > 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w();
    }
    return true;
  }

  /** The calls in flight now, newest first: a copy, so that ending them while iterating is safe. */
  toArray(): T[] {
    const out: T[] = [];
    for (let c = this.#head; c; c = c.activeNext as T | undefined) out.push(c);
    return out;
  }

  /** Resolves once no call is in flight. */
  whenEmpty(): Promise<void> {
    if (this.#size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
