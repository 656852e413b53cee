import { writeFileSync } from "node:fs";
import type { DescService } from "@bufbuild/protobuf";
import { createOpenApiDocument } from "../../transcoding/index.js";
import type { CommandContext } from "../command-context.js";
import { offlineArgs, withSession } from "../command-context.js";
import { findService } from "../schema.js";

export const openapiUsage = "tsgrpc openapi <target> [service...] [--output FILE]";

/**
 * Writes the OpenAPI 3.1 document of the services' `google.api.http` rules
 * (every service of the target, or those named), as the server's REST
 * transcoding serves them: from reflection, or offline from `--proto` or
 * `--protoset`.
 */
export async function openapiCommand(ctx: CommandContext): Promise<number> {
  ctx = offlineArgs(ctx) ?? ctx;
  return withSession(ctx, openapiUsage, async ({ schema }) => {
    const names = ctx.args.length > 1 ? ctx.args.slice(1) : await schema.listServices();
    const services: DescService[] = [];
    for (const name of names) services.push(await findService(schema, name.replace(/^\./, "")));
    const text = `${JSON.stringify(createOpenApiDocument(services), null, 2)}\n`;
    const output = ctx.flags.output;
    if (typeof output === "string" && output !== "-") writeFileSync(output, text);
    else ctx.io.out(text);
    return 0;
  });
}
