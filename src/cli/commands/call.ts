import { toJson, type DescMethod, type Message, type Registry } from "@bufbuild/protobuf";
import { RpcError, createClient, type CallOptions } from "../../index.js";
import { CliError } from "../cli-error.js";
import { splitMethod, withSession, type CommandContext } from "../command-context.js";
import { formatMetadata, printError } from "../print-error.js";
import { requestSource } from "../request-source.js";
import { findService, withTypes, type Schema } from "../schema.js";

export const callUsage = "tsgrpc call <target> <package.Service/Method> [-d '<json>' | -d @]";

/**
 * Calls a method with JSON requests and prints each response as protobuf
 * JSON; the exit code is the call's gRPC status code.
 */
export async function callCommand(ctx: CommandContext): Promise<number> {
  if (ctx.args[1] === undefined) throw new CliError("no method given", { hint: `usage: ${callUsage}; \`tsgrpc list <target> <service>\` shows the methods` });
  return withSession(ctx, callUsage, async ({ channel, metadata, timeoutMs, schema }) => {
    const method = await findMethod(schema, ctx.args[1]!);
    const { io, flags } = ctx;
    const requests = requestSource(flags.data, method.input, schema, io.stdin);
    let inputError: unknown;
    const checked = (async function* () {
      try {
        yield* requests;
      } catch (e) {
        inputError = e;
        throw e;
      }
    })();
    const options: CallOptions = {
      metadata,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(flags.verbose
        ? {
            onHeader: (h) => io.err(formatMetadata("Response headers", h)),
            onTrailer: (t) => io.err(formatMetadata("Response trailers", t)),
          }
        : {}),
    };
    if (flags.verbose) io.err(`Method: /${method.parent.typeName}/${method.name} (${method.methodKind}, schema from ${schema.source})\n${formatMetadata("Request metadata", metadata)}`);
    const print = async (m: Message) => {
      const json = await withTypes(schema, (registry) => toJson(method.output, m as never, { registry, alwaysEmitImplicit: flags["emit-defaults"] === true }));
      io.out(`${JSON.stringify(json, null, 2)}\n`);
    };
    const fn = (createClient(method.parent, channel) as Record<string, (input: unknown, o: CallOptions) => unknown>)[method.localName]!;
    try {
      if (method.methodKind === "unary" || method.methodKind === "server_streaming") {
        const [first, ...rest] = await collect(checked, 2);
        if (rest.length) throw new CliError(`${method.name} takes one request message, and -d holds more`);
        const input = first ?? {};
        if (method.methodKind === "unary") await print((await fn(input, options)) as Message);
        else for await (const m of fn(input, options) as AsyncIterable<Message>) await print(m);
      } else if (method.methodKind === "client_streaming") {
        await print((await fn(checked, options)) as Message);
      } else {
        for await (const m of fn(checked, options) as AsyncIterable<Message>) await print(m);
      }
      if (flags.verbose) io.err("Status: OK\n");
      return 0;
    } catch (e) {
      // Details of the server's own types: load them (reflection) to print them decoded.
      if (!inputError && e instanceof RpcError) {
        for (const d of e.details) {
          if (!d.type.startsWith("google.rpc.") && !schema.registry().getMessage(d.type)) await schema.findSymbol(d.type).catch(() => undefined);
        }
      }
      return printError(io, inputError ?? e, schema.registry() as Registry);
    }
  });
}

async function collect<T>(source: AsyncIterable<T>, max: number): Promise<T[]> {
  const out: T[] = [];
  for await (const v of source) if (out.push(v) >= max) break;
  return out;
}

/** The method named `text`, or a CliError listing what there is. */
export async function findMethod(schema: Schema, text: string): Promise<DescMethod> {
  const { service: serviceName, method: methodName } = splitMethod(text);
  const service = await findService(schema, serviceName);
  const method = service.methods.find((m) => m.name === methodName || m.localName === methodName);
  if (method) return method;
  throw new CliError(`service ${service.typeName} has no method "${methodName}"`, {
    hint: `its methods: ${service.methods.map((m) => m.name).join(", ")}`,
    exitCode: 12,
  });
}
