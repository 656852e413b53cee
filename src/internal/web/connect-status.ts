import { Code } from "../../status/code.js";
import type { Detail } from "../../status/details.js";
import { encodeBase64, decodeBase64 } from "../base64.js";

/**
 * How the Connect protocol (connectrpc.com/docs/protocol) writes a status:
 * codes as snake_case names, an HTTP status for unary errors, and the error
 * as JSON (`{"code", "message", "details": [{"type", "value", "debug"}]}`).
 * Used by both sides, browsers included.
 */

const names = [
  "ok",
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
];

/** The Connect name of `code` (`canceled`, `invalid_argument`, …). */
export function connectCodeName(code: Code): string {
  return names[code] ?? "unknown";
}

/** The code of a Connect name, or undefined for a name that is none. */
export function codeFromConnectName(name: unknown): Code | undefined {
  if (typeof name !== "string") return undefined;
  const i = names.indexOf(name);
  return i > 0 ? (i as Code) : undefined;
}

/** A Connect error as JSON: what unary error bodies and end-stream messages carry. */
export interface ConnectErrorJson {
  code: string;
  message?: string;
  details?: { type: string; value: string; debug?: unknown }[];
}

/** The JSON of an error. Detail values are base64 without padding, as the protocol says. */
export function connectErrorJson(code: Code, message: string, details: readonly Detail[]): ConnectErrorJson {
  const json: ConnectErrorJson = { code: connectCodeName(code) };
  if (message) json.message = message;
  if (details.length > 0) json.details = details.map((d) => ({ type: d.type, value: encodeBase64(d.value, false) }));
  return json;
}

/** A status read back from Connect error JSON; undefined when `json` is not one. */
export function parseConnectError(json: unknown): { code: Code; message: string; details: Detail[] } | undefined {
  if (json === null || typeof json !== "object") return undefined;
  const o = json as Record<string, unknown>;
  const code = codeFromConnectName(o.code);
  if (code === undefined) return undefined;
  const details: Detail[] = [];
  if (Array.isArray(o.details)) {
    for (const d of o.details as Record<string, unknown>[]) {
      if (!d || typeof d.type !== "string" || typeof d.value !== "string") continue;
      const value = decodeBase64(d.value);
      // A detail that does not decode is dropped: a bad detail must not hide the error.
      if (value) details.push({ type: d.type.slice(d.type.lastIndexOf("/") + 1), value });
    }
  }
  return { code, message: typeof o.message === "string" ? o.message : "", details };
}
