/** Exit code of a command used wrongly or unable to start (bad flags, unreadable files): sysexits' EX_USAGE, outside gRPC's 0–16. */
export const usageExitCode = 64;

/**
 * A problem of the command line itself (a bad flag, an unknown method, an
 * unreadable file), printed as `error: message` with a hint of what to do
 * next, and exiting with `exitCode` (64 unless said otherwise).
 */
export class CliError extends Error {
  override name = "CliError";
  readonly hint: string | undefined;
  readonly exitCode: number;
  constructor(message: string, init: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.hint = init.hint;
    this.exitCode = init.exitCode ?? usageExitCode;
  }
}
