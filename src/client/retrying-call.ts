import type { StreamResponse, UnaryResponse } from "../interceptor.js";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";
import { ClientCall, type AttemptHooks } from "./client-call.js";
import { CommittedStream } from "./committed-stream.js";
import type { RequestReplay } from "./request-replay.js";
import type { RetryThrottle } from "./retry-throttle.js";
import type { HedgingSettings, RetrySettings } from "./service-config.js";

/** Timers and randomness of a retrying call, replaceable in tests. */
export interface RetryClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** A number in [0, 1), for the backoff's jitter. */
  random(): number;
}

export const systemClock: RetryClock = {
  now: Date.now,
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  random: Math.random,
};

/** Everything a retrying call is told when it starts. */
export interface RetryingCallOptions {
  /** Server-streaming or bidi: the response is a stream of messages. */
  readonly streamingResponse: boolean;
  readonly request: RequestReplay;
  /** At most one of `retry` and `hedging`. */
  readonly retry: RetrySettings | undefined;
  readonly hedging: HedgingSettings | undefined;
  /** Whether one transparent retry of an unprocessed attempt is allowed (gRFC A6). */
  readonly transparentRetry: boolean;
  readonly throttle: RetryThrottle;
  readonly deadline: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly clock: RetryClock;
  /**
   * Starts one attempt whose `settings.attempt` is `hooks`: opens a stream
   * (perhaps waiting for a connection) and returns its call; rejects with
   * an RpcError when no stream can be had. `previousAttempts` is the value
   * of `grpc-previous-rpc-attempts` (0: none).
   */
  readonly startAttempt: (previousAttempts: number, hooks: AttemptHooks) => ClientCall | Promise<ClientCall>;
}

/**
 * One call of gRFC A6: a sequence of attempts (`ClientCall`s on their own
 * streams) of which one becomes the call's outcome. It commits to an
 * attempt when its response headers arrive, when the request outgrows the
 * replay buffer, or when it ends and no other attempt follows; until then
 * the caller hears nothing of any attempt. Failed attempts are retried per
 * the retry policy (backoff with jitter, retryable codes, pushback,
 * throttling), or hedged per the hedging policy; an attempt the server
 * never processed is retried once at once, whatever the policy. Without a
 * policy and on the first attempt this costs a few property reads.
 */
export class RetryingCall implements AttemptHooks {
  readonly #o: RetryingCallOptions;
  #live: ClientCall[] = [];
  #opening = 0;
  #committed: ClientCall | undefined;
  /** The call failed on its own (deadline or cancel between attempts, or nothing left to try). */
  #final: RpcError | undefined;
  /** Attempts started that count against `maxAttempts`. */
  #attempts = 0;
  #transparentLeft: number;
  #backoffMs: number;
  #hedgesStopped = false;
  #lastError: RpcError | undefined;
  #timer: unknown;
  #timerAction: (() => void) | undefined;
  #onAbort: (() => void) | undefined;
  #resolve: ((r: UnaryResponse) => void) | undefined;
  #reject: ((e: RpcError) => void) | undefined;
  #stream: CommittedStream | undefined;

  constructor(options: RetryingCallOptions) {
    this.#o = options;
    this.#transparentLeft = options.transparentRetry ? 1 : 0;
    this.#backoffMs = options.retry?.initialBackoffMs ?? 0;
  }

  /** Starts the first attempt (and schedules hedges); resolves as the chain of interceptors expects. */
  start(): Promise<UnaryResponse | StreamResponse> {
    let result: Promise<UnaryResponse | StreamResponse>;
    if (this.#o.streamingResponse) {
      this.#stream = new CommittedStream(this);
      result = Promise.resolve(this.#stream.response);
    } else {
      result = new Promise((resolve, reject) => {
        this.#resolve = resolve;
        this.#reject = reject;
      });
    }
    this.#launch(false);
    const h = this.#o.hedging;
    if (h && !this.#done) {
      if (h.hedgingDelayMs > 0) this.#wait(h.hedgingDelayMs, () => this.#hedgeTimer());
      else this.#sendHedges();
    }
    return result;
  }

  /** Cancels the call: the attempt in flight, or the wait between attempts. */
  cancel(error: RpcError): void {
    if (this.#done) return;
    const attempt = this.#committed ?? this.#live[0];
    if (!attempt) {
      this.#fail(error);
      return;
    }
    if (!this.#committed) this.#commit(attempt);
    attempt.cancel(error);
  }

  /** The request outgrew the replay buffer: commit to `leader` (gRFC A6). */
  overflow(leader: ClientCall): void {
    if (!this.#done && !leader.ended) this.#commit(leader);
  }

  /** Part of AttemptHooks */
  responseStarted(attempt: ClientCall): void {
    if (!this.#done) this.#commit(attempt);
  }

  /** Part of AttemptHooks */
  ending(attempt: ClientCall, status: RpcError | null): boolean {
    if (this.#committed) {
      if (this.#committed !== attempt) return true;
      this.#ended(status);
      return false;
    }
    if (this.#final) return true;
    const i = this.#live.indexOf(attempt);
    if (i >= 0) this.#live.splice(i, 1);
    if (status !== null && this.#failed(status, attempt.unprocessed, attempt.retryPushback)) return true;
    this.#commit(attempt);
    this.#ended(status);
    return false;
  }

  get #done(): boolean {
    return this.#committed !== undefined || this.#final !== undefined;
  }

  #launch(transparent: boolean): void {
    // A transparent retry stands in for the attempt it repeats.
    const previous = transparent ? this.#attempts - 1 : this.#attempts++;
    let started: ClientCall | Promise<ClientCall>;
    try {
      started = this.#o.startAttempt(previous, this);
    } catch (e) {
      started = Promise.reject(e);
    }
    if (started instanceof ClientCall) {
      this.#began(started);
      return;
    }
    this.#opening++;
    started.then(
      (attempt) => {
        this.#opening--;
        this.#began(attempt);
      },
      (e: unknown) => {
        this.#opening--;
        const error = RpcError.from(e, Code.UNAVAILABLE);
        if (!this.#done && !this.#failed(error, false, undefined)) this.#fail(error);
      },
    );
  }

  #began(attempt: ClientCall): void {
    if (this.#done && this.#committed !== attempt) {
      attempt.cancel(new RpcError(Code.CANCELLED, "the call no longer needs this attempt"));
      return;
    }
    // An attempt that ended while it started has been decided on already.
    if (attempt.ended) return;
    if (this.#committed !== attempt) this.#live.push(attempt);
    this.#o.request.sendTo(attempt);
  }

  /** An attempt failed with `error`: true when the call goes on (another attempt now or later, or others in flight). */
  #failed(error: RpcError, unprocessed: boolean, pushback: string | undefined): boolean {
    const o = this.#o;
    this.#lastError = error;
    if (o.signal?.aborted || (o.deadline !== undefined && o.clock.now() >= o.deadline)) return false;
    if (unprocessed && this.#transparentLeft > 0 && o.request.resendable) {
      this.#transparentLeft--;
      this.#launch(true);
      return true;
    }
    if (o.hedging) return this.#hedgeFailed(o.hedging, error, pushback);
    if (o.retry) return this.#retryFailed(o.retry, error, pushback);
    return false;
  }

  #retryFailed(policy: RetrySettings, error: RpcError, rawPushback: string | undefined): boolean {
    const o = this.#o;
    const pushback = parsePushback(rawPushback);
    if (pushback === noRetry) {
      o.throttle.failure();
      return false;
    }
    if (!policy.retryableCodes.has(error.code)) return false;
    o.throttle.failure();
    if (this.#attempts >= policy.maxAttempts || !o.request.replayable || !o.throttle.allows()) return false;
    let delayMs: number;
    if (pushback !== undefined) {
      delayMs = pushback;
      this.#backoffMs = policy.initialBackoffMs;
    } else {
      delayMs = o.clock.random() * this.#backoffMs;
      this.#backoffMs = Math.min(this.#backoffMs * policy.backoffMultiplier, policy.maxBackoffMs);
    }
    this.#wait(delayMs, () => this.#launch(false));
    return true;
  }

  #hedgeFailed(policy: HedgingSettings, error: RpcError, rawPushback: string | undefined): boolean {
    const o = this.#o;
    const pushback = parsePushback(rawPushback);
    if (pushback === noRetry) {
      o.throttle.failure();
      this.#stopHedges();
    } else if (!policy.nonFatalCodes.has(error.code)) {
      return false;
    } else {
      o.throttle.failure();
      if (pushback !== undefined) this.#wait(pushback, () => this.#hedgeTimer());
      // A non-fatal code sends the next hedge at once; the ones after it keep the delay.
      else this.#sendHedges();
    }
    return this.#live.length > 0 || this.#opening > 0 || this.#timerAction !== undefined;
  }

  /** Sends the next hedge if the policy, the throttle and the buffer allow; false if none will follow. */
  #hedge(): boolean {
    const o = this.#o;
    if (this.#done) return false;
    if (this.#hedgesStopped || this.#attempts >= o.hedging!.maxAttempts || !o.request.replayable || !o.throttle.allows()) {
      this.#stopHedges();
      return false;
    }
    this.#launch(false);
    return !this.#done && this.#attempts < o.hedging!.maxAttempts;
  }

  /** Sends the next hedge now, and the ones after it every `hedgingDelay` (all at once for a zero delay). */
  #sendHedges(): void {
    const delayMs = this.#o.hedging!.hedgingDelayMs;
    while (this.#hedge()) {
      if (delayMs > 0) {
        this.#wait(delayMs, () => this.#hedgeTimer());
        return;
      }
    }
  }

  #hedgeTimer(): void {
    this.#sendHedges();
    // Nothing in flight and nothing more to send: the last failure is the call's.
    if (!this.#done && this.#live.length === 0 && this.#opening === 0 && this.#timerAction === undefined) this.#fail(this.#lastError ?? cancelled());
  }

  #stopHedges(): void {
    this.#hedgesStopped = true;
    this.#clearTimer();
  }

  /** Runs `action` after `delayMs`, unless the deadline passes or the caller cancels first. */
  #wait(delayMs: number, action: () => void): void {
    const o = this.#o;
    this.#clearTimer();
    let ms = delayMs;
    const untilDeadline = o.deadline === undefined ? Infinity : o.deadline - o.clock.now();
    const pastDeadline = untilDeadline <= delayMs;
    if (pastDeadline) ms = Math.max(0, untilDeadline);
    this.#timerAction = action;
    this.#timer = o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#timerAction = undefined;
      this.#unlisten();
      if (this.#done) return;
      if (!pastDeadline) action();
      // Attempts in flight meet the deadline on their own.
      else if (this.#live.length === 0 && this.#opening === 0) this.#fail(deadlineError(this.#attempts, this.#lastError));
    }, ms);
    if (o.signal && !this.#onAbort) {
      this.#onAbort = () => this.cancel(abortError(o.signal!.reason));
      o.signal.addEventListener("abort", this.#onAbort);
    }
  }

  #clearTimer(): void {
    if (this.#timerAction === undefined) return;
    this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAction = undefined;
    this.#unlisten();
  }

  #unlisten(): void {
    if (!this.#onAbort) return;
    this.#o.signal!.removeEventListener("abort", this.#onAbort);
    this.#onAbort = undefined;
  }

  #commit(attempt: ClientCall): void {
    this.#committed = attempt;
    this.#clearTimer();
    const live = this.#live;
    if (live.length > 1 || (live.length === 1 && live[0] !== attempt)) {
      this.#live = [];
      for (const other of live) if (other !== attempt) other.cancel(new RpcError(Code.CANCELLED, "another attempt of the call was chosen"));
    } else {
      live.length = 0;
    }
    this.#o.request.commit(attempt);
    if (this.#stream) this.#stream.attach(attempt);
    else attempt.settleUnary(this.#resolve!, this.#reject!);
  }

  /** The committed attempt ended with `status`. */
  #ended(status: RpcError | null): void {
    this.#o.request.stop();
    if (status === null) this.#o.throttle.success();
  }

  #fail(error: RpcError): void {
    if (this.#done) return;
    this.#final = error;
    this.#clearTimer();
    const live = this.#live;
    this.#live = [];
    for (const attempt of live) attempt.cancel(error);
    this.#o.request.stop();
    if (this.#stream) this.#stream.fail(error);
    else this.#reject!(error);
  }
}

const noRetry: unique symbol = Symbol("noRetry");

/**
 * `grpc-retry-pushback-ms`: a non-negative 32-bit integer is a delay in
 * milliseconds; anything else present (negative, unparsable) says not to
 * retry (gRFC A6).
 */
export function parsePushback(raw: string | undefined): number | typeof noRetry | undefined {
  if (raw === undefined) return undefined;
  const s = raw.trim();
  if (!/^(0|[1-9]\d{0,9})$/.test(s)) return noRetry;
  const ms = Number(s);
  return ms <= 0x7fff_ffff ? ms : noRetry;
}

function deadlineError(attempts: number, last: RpcError | undefined): RpcError {
  const after = last ? ` after ${attempts} attempt${attempts === 1 ? "" : "s"}, the last of which failed: ${last.message}` : "";
  return new RpcError(Code.DEADLINE_EXCEEDED, `deadline exceeded${after}`, { cause: last });
}

function abortError(reason: unknown): RpcError {
  return reason instanceof RpcError ? reason : new RpcError(Code.CANCELLED, "the call was cancelled by the client", { cause: reason });
}

function cancelled(): RpcError {
  return new RpcError(Code.CANCELLED, "the call was cancelled");
}
