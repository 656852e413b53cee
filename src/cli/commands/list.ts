import type { CommandContext } from "../command-context.js";
import { offlineArgs, withSession } from "../command-context.js";
import { findService } from "../schema.js";

export const listUsage = "tsgrpc list <target> [service]";

/** Lists the services of the target, or the methods of one service. */
export async function listCommand(ctx: CommandContext): Promise<number> {
  ctx = offlineArgs(ctx) ?? ctx;
  return withSession(ctx, listUsage, async ({ schema }) => {
    const name = ctx.args[1];
    if (name === undefined) {
      for (const s of (await schema.listServices()).sort()) ctx.io.out(`${s}\n`);
      return 0;
    }
    const service = await findService(schema, name.replace(/^\./, ""));
    for (const m of service.methods) ctx.io.out(`${service.typeName}/${m.name}\n`);
    return 0;
  });
}
