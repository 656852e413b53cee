import type { Channel, Metadata } from "../index.js";
import { CliError } from "./cli-error.js";
import type { Io } from "./io.js";
import { metadataFlags, openChannel, parseDurationMs, type Flags } from "./options.js";
import { openSchema, type Schema } from "./schema.js";

/** What a command runs with. */
export interface CommandContext {
  readonly flags: Flags;
  /** Positional arguments after the command name. */
  readonly args: string[];
  readonly io: Io;
}

/** The connection a command works over: channel, request metadata, timeout, schema. */
export interface Session {
  readonly channel: Channel;
  readonly metadata: Metadata;
  readonly timeoutMs: number | undefined;
  readonly schema: Schema;
}

/** Runs `fn` with a session to the target (the first argument), and closes it after. */
export async function withSession<T>(ctx: CommandContext, usage: string, fn: (s: Session) => Promise<T>): Promise<T> {
  const target = ctx.args[0];
  if (target === undefined) throw new CliError("no target given", { hint: `usage: ${usage}` });
  const metadata = metadataFlags(ctx.flags);
  const timeoutMs = parseDurationMs(ctx.flags.timeout, "--timeout");
  // "" is no target: a schema from files, and no server (see offlineArgs).
  const channel = target === "" ? undefined : openChannel(target, ctx.flags);
  const schema = openSchema(ctx.flags, channel, metadata, timeoutMs);
  try {
    return await fn({ channel: channel ?? noChannel, metadata, timeoutMs, schema });
  } finally {
    schema.close();
    channel?.close();
  }
}

/** Stands in for the channel of a session without a server; only list and describe use such sessions, and they make no calls. */
const noChannel: Channel = {
  target: "",
  interceptors: [],
  call: () => Promise.reject(new CliError("no target given")),
  close() {},
} as unknown as Channel;

/** `pkg.Service/Method` or `pkg.Service.Method` split into service and method names. */
export function splitMethod(text: string): { service: string; method: string } {
  const clean = text.replace(/^\//, "");
  const slash = clean.lastIndexOf("/");
  const at = slash >= 0 ? slash : clean.lastIndexOf(".");
  if (at <= 0 || at === clean.length - 1) throw new CliError(`"${text}" is not a method`, { hint: "write package.Service/Method (tsgrpc list <target> <service> shows them)" });
  return { service: clean.slice(0, at), method: clean.slice(at + 1) };
}

/**
 * For `list` and `describe`, which need a server only for its reflection:
 * with --proto or --protoset, the target may be left out
 * (`tsgrpc describe --protoset image.binpb users.v1.User`). Returns the
 * arguments with the target first, or undefined in its place.
 */
export function offlineArgs(ctx: CommandContext): CommandContext | undefined {
  const fromFiles = (ctx.flags.protoset?.length ?? 0) > 0 || (ctx.flags.proto?.length ?? 0) > 0;
  const first = ctx.args[0];
  if (!fromFiles || (first !== undefined && looksLikeTarget(first))) return undefined;
  return { ...ctx, args: ["", ...ctx.args] };
}

function looksLikeTarget(text: string): boolean {
  return /^(https?:\/\/|unix:)/.test(text) || /:\d+$/.test(text);
}
