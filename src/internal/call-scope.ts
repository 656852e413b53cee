/** What an outgoing call inherits from the incoming call it is made in (a handler's context). */
export interface CallScope {
  readonly deadline: number | undefined;
  readonly signal: AbortSignal;
}

/**
 * How to find the call a handler is serving. It lives in an
 * `AsyncLocalStorage` (`deadline-propagation.ts`), which only servers set
 * up: clients read it through this hook, so that a client alone (in a
 * browser, say) never loads `node:async_hooks`.
 */
let currentScope: (() => CallScope | undefined) | undefined;

/** Installed by the server side, the first time a handler runs in its call's context. */
export function setCallScopeLookup(lookup: () => CallScope | undefined): void {
  currentScope = lookup;
}

/**
 * The deadline and signal of an outgoing call: its own, combined with those
 * of the handler it is made in (if any): the earlier deadline wins, and
 * either signal cancels it. The handler's signal also fires when the handler
 * completes, so a call left running by a finished handler is cancelled.
 */
export function inheritCall(deadline: number | undefined, signal: AbortSignal | undefined): { deadline: number | undefined; signal: AbortSignal | undefined } {
  const ctx = currentScope?.();
  if (!ctx) return { deadline, signal };
  const d = ctx.deadline;
  const s = ctx.signal;
  return {
    deadline: d !== undefined && (deadline === undefined || d < deadline) ? d : deadline,
    signal: signal ? AbortSignal.any([signal, s]) : s,
  };
}
