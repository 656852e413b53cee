/**
 * Reconnect backoff as gRPC specifies it (doc/connection-backoff.md): the
 * first retry after about a second, each next one 1.6 times later, up to two
 * minutes, every delay spread by ±20 % so that clients that lost the same
 * server do not come back in step.
 */
export interface BackoffSettings {
  readonly initialMs: number;
  readonly multiplier: number;
  readonly jitter: number;
  readonly maxMs: number;
}

export const connectionBackoff: BackoffSettings = { initialMs: 1000, multiplier: 1.6, jitter: 0.2, maxMs: 120_000 };

/** The delays of one run of failures; `reset` after a success. */
export class Backoff {
  readonly #settings: BackoffSettings;
  readonly #random: () => number;
  #nextMs: number;

  constructor(settings: BackoffSettings = connectionBackoff, random: () => number = Math.random) {
    this.#settings = settings;
    this.#random = random;
    this.#nextMs = settings.initialMs;
  }

  /** The delay before the next try, in milliseconds. */
  next(): number {
    const { multiplier, jitter, maxMs } = this.#settings;
    const base = this.#nextMs;
    this.#nextMs = Math.min(base * multiplier, maxMs);
    return Math.max(0, base * (1 + jitter * (this.#random() * 2 - 1)));
  }

  reset(): void {
    this.#nextMs = this.#settings.initialMs;
  }
}
