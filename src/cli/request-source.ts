import { createReadStream } from "node:fs";
import { fromJson, type DescMessage, type Message } from "@bufbuild/protobuf";
import { CliError } from "./cli-error.js";
import { JsonValueSplitter } from "./json-values.js";
import { withTypes, type Schema } from "./schema.js";

/**
 * The request messages of `-d`: JSON text holding one or more messages, or
 * `@` for standard input (`@path` for a file), read as it arrives so that
 * a bidi call can be typed interactively. Each message is checked against
 * `schema` when it is read; a bad one stops the input with a CliError.
 */
export function requestSource(data: string | undefined, schema: DescMessage, types: Schema, stdin: NodeJS.ReadableStream): AsyncIterable<Message> {
  const parse = async (text: string, n: number): Promise<Message> => {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new CliError(`request ${n} is not JSON: ${(e as Error).message}`);
    }
    try {
      return await withTypes(types, (registry) => fromJson(schema, json as never, { registry }));
    } catch (e) {
      throw new CliError(`request ${n} is not a ${schema.typeName}: ${(e as Error).message}`, { hint: `\`tsgrpc describe <target> ${schema.typeName}\` shows its fields` });
    }
  };
  if (data === undefined || !data.startsWith("@")) {
    const splitter = new JsonValueSplitter();
    let values: string[];
    try {
      values = [...splitter.push(data ?? ""), ...splitter.end()];
    } catch (e) {
      throw new CliError(`-d: ${(e as Error).message}`);
    }
    return (async function* () {
      for (const [i, v] of values.entries()) yield await parse(v, i + 1);
    })();
  }
  const input = data === "@" ? stdin : createReadStream(data.slice(1));
  return (async function* () {
    const splitter = new JsonValueSplitter();
    let n = 0;
    try {
      input.setEncoding?.("utf8");
      for await (const chunk of input) {
        for (const v of splitter.push(String(chunk))) yield await parse(v, ++n);
      }
      for (const v of splitter.end()) yield await parse(v, ++n);
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError(`-d ${data}: ${(e as Error).message}`);
    }
  })();
}
