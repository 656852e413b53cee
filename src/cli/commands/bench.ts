import { type DescMethod, type Message } from "@bufbuild/protobuf";
import { Code, RpcError, createClient, type CallOptions, type Channel } from "../../index.js";
import { CliError } from "../cli-error.js";
import { withSession, type CommandContext } from "../command-context.js";
import { openChannel, parseCount, parseDurationMs } from "../options.js";
import { requestSource } from "../request-source.js";
import { benchJson, benchText } from "../bench/bench-report.js";
import { runLoad, type LoadPlan } from "../bench/load-runner.js";
import { findMethod } from "./call.js";

export const benchUsage = "tsgrpc bench <target> <package.Service/Method> -d '<json>' [-c N] [--connections C] [--duration 10s | -n N] [--rps R]";

/**
 * A load generator: calls a method with the same request(s) from
 * `--concurrency` workers over `--connections` connections (one channel
 * each), for `--total` calls or `--duration`, optionally capped at `--rps`;
 * then prints a latency histogram, percentiles, throughput and the status
 * codes (`--format json` for scripts). Each connection makes one call
 * before the clock starts, so that connecting is not measured.
 */
export async function benchCommand(ctx: CommandContext): Promise<number> {
  const { flags, io } = ctx;
  if (ctx.args[1] === undefined) throw new CliError("no method given", { hint: `usage: ${benchUsage}` });
  const format = flags.format ?? "text";
  if (format !== "text" && format !== "json") throw new CliError(`--format must be text or json, not "${format}"`);
  const concurrency = parseCount(flags.concurrency, "--concurrency", 50);
  const connections = parseCount(flags.connections, "--connections", 1);
  if (connections > concurrency) throw new CliError("--connections cannot exceed --concurrency (each connection needs a worker)");
  const durationMs = parseDurationMs(flags.duration, "--duration");
  if (durationMs !== undefined && flags.total !== undefined) throw new CliError("give --duration or --total, not both");
  const total = durationMs === undefined ? parseCount(flags.total, "--total", 200) : undefined;
  const rps = flags.rps === undefined ? undefined : parseCount(flags.rps, "--rps", 1);
  const plan: LoadPlan = { concurrency, ...(total !== undefined ? { total } : {}), ...(durationMs !== undefined ? { durationMs } : {}), ...(rps !== undefined ? { rps } : {}) };

  return withSession(ctx, benchUsage, async ({ channel, metadata, timeoutMs, schema }) => {
    const method = await findMethod(schema, ctx.args[1]!);
    const messages: Message[] = [];
    for await (const m of requestSource(flags.data, method.input, schema.registry(), io.stdin)) messages.push(m);
    if (messages.length > 1 && (method.methodKind === "unary" || method.methodKind === "server_streaming")) {
      throw new CliError(`${method.name} takes one request message, and -d holds ${messages.length}`);
    }
    const options: CallOptions = { metadata, ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
    const channels: Channel[] = [channel];
    for (let i = 1; i < connections; i++) channels.push(openChannel(ctx.args[0]!, flags));
    try {
      const callers = channels.map((ch) => callerFor(method, ch, messages, options));
      // Connect every channel first. Not reaching the server ends the run
      // here; other failures are the server's answer, and the report counts them.
      await Promise.all(callers.map((c) => c().catch((e: unknown) => {
        if (!(e instanceof RpcError) || e.code === Code.UNAVAILABLE || e.code === Code.UNIMPLEMENTED) throw e;
      })));
      const onProgress = io.interactive
        ? (done: number, errors: number, elapsedMs: number) =>
            io.err(`\r\x1b[K[${(elapsedMs / 1000).toFixed(1)}s] ${done} calls, ${Math.round((done / elapsedMs) * 1000)}/s, ${errors} errors`)
        : undefined;
      const result = await runLoad(callers, plan, onProgress);
      if (onProgress) io.err("\r\x1b[K");
      const report = benchJson({ target: ctx.args[0]!, method: `${method.parent.typeName}/${method.name}`, concurrency, connections, rps }, result);
      io.out(format === "json" ? `${JSON.stringify(report, null, 2)}\n` : benchText(report));
      return 0;
    } finally {
      for (const ch of channels.slice(1)) ch.close();
    }
  });
}

/** One call of `method` with `messages` on `channel`, resolved when it has fully ended. */
function callerFor(method: DescMethod, channel: Channel, messages: Message[], options: CallOptions): () => Promise<unknown> {
  const fn = (createClient(method.parent, channel) as Record<string, (input: unknown, o: CallOptions) => unknown>)[method.localName]!;
  const one = messages[0] ?? {};
  const stream = () => (async function* () {
    yield* messages;
  })();
  const drain = async (responses: AsyncIterable<unknown>) => {
    for await (const _ of responses);
  };
  switch (method.methodKind) {
    case "unary":
      return () => fn(one, options) as Promise<unknown>;
    case "server_streaming":
      return () => drain(fn(one, options) as AsyncIterable<unknown>);
    case "client_streaming":
      return () => fn(stream(), options) as Promise<unknown>;
    case "bidi_streaming":
      return () => drain(fn(stream(), options) as AsyncIterable<unknown>);
  }
}
