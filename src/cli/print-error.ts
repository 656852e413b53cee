import { createRegistry, fromBinary, toJson, type Registry } from "@bufbuild/protobuf";
import { RpcError, codeName, type Metadata } from "../index.js";
import { file_google_rpc_error_details } from "../status/error-details.js";
import { CliError } from "./cli-error.js";
import type { Io } from "./io.js";

const standardDetails = createRegistry(file_google_rpc_error_details);

/** Prints a failed call (code name, message, decoded details) or a CLI error; returns the exit code. */
export function printError(io: Io, error: unknown, registry?: Registry): number {
  if (error instanceof CliError) {
    io.err(`error: ${error.message}\n`);
    if (error.hint) io.err(`hint: ${error.hint}\n`);
    return error.exitCode;
  }
  if (error instanceof RpcError) {
    io.err(`ERROR:\n  Code: ${codeName(error.code)}\n  Message: ${error.rawMessage}\n`);
    if (error.details.length) {
      io.err("  Details:\n");
      for (const d of error.details) io.err(`${indent(describeDetail(d, registry), "    ")}\n`);
    }
    return error.code;
  }
  io.err(`error: ${(error as Error)?.message ?? String(error)}\n`);
  return 1;
}

function describeDetail(detail: { type: string; value: Uint8Array }, registry: Registry | undefined): string {
  const schema = standardDetails.getMessage(detail.type) ?? registry?.getMessage(detail.type);
  if (schema) {
    try {
      const json = toJson(schema, fromBinary(schema, detail.value), registry ? { registry } : {});
      return `${detail.type} ${JSON.stringify(json, null, 2)}`;
    } catch {
      // Shown as bytes below.
    }
  }
  return `${detail.type} (${detail.value.length} bytes, type unknown: ${Buffer.from(detail.value).toString("base64")})`;
}

function indent(text: string, prefix: string): string {
  return text.split("\n").map((l) => prefix + l).join("\n");
}

/** Metadata as `key: value` lines (`-bin` values in base64), for -v. */
export function formatMetadata(title: string, md: Metadata): string {
  const lines = [...md].map(([k, v]) => `  ${k}: ${typeof v === "string" ? v : Buffer.from(v).toString("base64")}`);
  return `${title}:${lines.length ? `\n${lines.join("\n")}` : " (none)"}\n`;
}
