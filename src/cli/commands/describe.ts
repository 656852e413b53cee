import type { CommandContext } from "../command-context.js";
import { offlineArgs, withSession } from "../command-context.js";
import { CliError } from "../cli-error.js";
import { renderProto } from "../render-proto.js";
import type { Schema } from "../schema.js";

export const describeUsage = "tsgrpc describe <target> [symbol]";

const kinds = { service: "a service", rpc: "a method", message: "a message", enum: "an enum", extension: "an extension" } as const;

/** Prints a service, method, message, enum or extension as .proto source (every service without a symbol). */
export async function describeCommand(ctx: CommandContext): Promise<number> {
  ctx = offlineArgs(ctx) ?? ctx;
  return withSession(ctx, describeUsage, async ({ schema }) => {
    const symbols = ctx.args[1] !== undefined ? [ctx.args[1]] : (await schema.listServices()).sort();
    for (const symbol of symbols) {
      const desc = await lookup(schema, symbol.replace(/^\./, "").replace("/", "."));
      ctx.io.out(`${desc.kind === "rpc" ? `${desc.parent.typeName}.${desc.name}` : desc.typeName} is ${kinds[desc.kind]}:\n${renderProto(desc)}\n`);
    }
    return 0;
  });
}

async function lookup(schema: Schema, name: string) {
  const file = await schema.findSymbol(name);
  const registry = schema.registry();
  const desc = file ? registry.get(name) : undefined;
  if (desc) return desc;
  const dot = name.lastIndexOf(".");
  const service = file && dot > 0 ? registry.getService(name.slice(0, dot)) : undefined;
  const method = service?.methods.find((m) => m.name === name.slice(dot + 1));
  if (method) return method;
  throw new CliError(`unknown symbol "${name}"`, { hint: `\`tsgrpc list\` shows the services; symbols are fully qualified (package.Message, package.Service.Method)`, exitCode: 5 });
}
