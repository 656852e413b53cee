import { Code, RpcError, createClient } from "../../index.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../health/index.js";
import { CliError } from "../cli-error.js";
import type { CommandContext } from "../command-context.js";
import { metadataFlags, openChannel, parseDurationMs } from "../options.js";
import { printError } from "../print-error.js";

export const healthUsage = "tsgrpc health <target> [service] [--watch]";

/**
 * Asks `grpc.health.v1.Health` about the server ("") or a service: prints
 * the status and exits 0 for SERVING, 1 for any other status, or the gRPC
 * status code of a failed call (12 UNIMPLEMENTED: no health service; 5
 * NOT_FOUND: unknown service; 14 UNAVAILABLE: unreachable; 4 DEADLINE_EXCEEDED:
 * no answer within --timeout, default 10 s). `--watch` prints
 * every change until the server ends the stream or the command is stopped.
 */
export async function healthCommand(ctx: CommandContext): Promise<number> {
  const target = ctx.args[0];
  if (target === undefined) throw new CliError("no target given", { hint: `usage: ${healthUsage}` });
  const service = ctx.args[1] ?? "";
  const metadata = metadataFlags(ctx.flags);
  const timeoutMs = parseDurationMs(ctx.flags.timeout, "--timeout");
  const channel = openChannel(target, ctx.flags);
  const client = createClient(Health, channel);
  const options = { metadata, ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
  const exitFor = (s: Status) => (s === Status.SERVING ? 0 : 1);
  try {
    if (!ctx.flags.watch) {
      // A probe must not hang on a server that never answers: 10 s unless --timeout says otherwise.
      const { status } = await client.check({ service }, { ...options, timeoutMs: timeoutMs ?? 10_000 });
      ctx.io.out(`${Status[status]}\n`);
      return exitFor(status);
    }
    let last: Status | undefined;
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once("SIGINT", onSignal);
    try {
      for await (const { status } of client.watch({ service }, { ...options, signal: stop.signal })) {
        last = status;
        ctx.io.out(`${new Date().toISOString()} ${Status[status]}\n`);
      }
    } catch (e) {
      if (!(stop.signal.aborted && e instanceof RpcError && e.code === Code.CANCELLED)) throw e;
    } finally {
      process.off("SIGINT", onSignal);
    }
    return last === undefined ? 1 : exitFor(last);
  } catch (e) {
    if (e instanceof RpcError && e.code === Code.UNIMPLEMENTED) {
      ctx.io.err("the server has no health service (grpc.health.v1.Health)\n");
      return e.code;
    }
    return printError(ctx.io, e);
  } finally {
    channel.close();
  }
}
