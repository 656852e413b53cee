import { fromJson, ScalarType, type DescField, type DescMessage, type JsonObject, type JsonValue, type Message, type Registry } from "@bufbuild/protobuf";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";
import { isScalarWrapper, scalarTypeOf, type HttpBinding } from "./http-rule.js";

/** Deepest field path a query parameter may name (`a.b.c`…); deeper ones are refused. */
const maxQueryDepth = 32;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Builds the request message of a transcoded call (`google/api/http.proto`,
 * "Rules for HTTP mapping"): the body (the whole request for `body: "*"`,
 * one field for a named body, nothing without a body rule), then the query
 * parameters (fields bound by neither path nor body: `?a=1&b.c=x&r=1&r=2`),
 * then the path variables, which win over both. JSON follows protobuf's
 * JSON mapping; anything that does not fit fails with INVALID_ARGUMENT.
 */
export function decodeRequest(binding: HttpBinding, pathValues: readonly string[], query: string, body: Uint8Array, registry: Registry | undefined): Message {
  const input = binding.method.input;
  let root: JsonObject = {};
  if (body.byteLength > 0) {
    if (binding.body === undefined) throw invalid(`${binding.httpMethod} ${binding.template.source} takes no request body`);
    const json = parseJson(body);
    if (binding.body === "*") {
      if (json === null || typeof json !== "object" || Array.isArray(json)) throw invalid(`the request body must be a JSON object (${input.typeName})`);
      root = json;
    } else {
      root[binding.body.jsonName] = json;
    }
  }
  if (query !== "") {
    if (binding.body === "*") throw invalid(`${binding.httpMethod} ${binding.template.source} takes no query parameters: every field not in the path is in the body`);
    const repeated = new Map<string, JsonValue[]>();
    for (const [name, value] of new URLSearchParams(query)) {
      const chain = resolveQueryField(input, name);
      if (!chain) throw invalid(`unknown query parameter "${name}" (${input.typeName} has no such field)`);
      if (binding.pathFields.some((p) => sameField(p, chain)) || (binding.body !== undefined && chain[0] === binding.body)) {
        throw invalid(`query parameter "${name}" sets a field bound by the path or the body`);
      }
      const leaf = chain[chain.length - 1]!;
      const json = scalarJson(leaf, value, name);
      if (leaf.fieldKind === "list") {
        const key = chain.map((f) => f.name).join(".");
        let list = repeated.get(key);
        if (!list) {
          repeated.set(key, (list = []));
          setAt(root, chain, list);
        }
        list.push(json);
      } else {
        setAt(root, chain, json);
      }
    }
  }
  binding.pathFields.forEach((chain, i) => setAt(root, chain, scalarJson(chain[chain.length - 1]!, pathValues[i]!, chain.map((f) => f.name).join("."))));
  try {
    return fromJson(input, root, { registry, ignoreUnknownFields: false });
  } catch (e) {
    throw invalid(`bad request for ${input.typeName}: ${(e as Error).message}`, e);
  }
}

function invalid(message: string, cause?: unknown): RpcError {
  return new RpcError(Code.INVALID_ARGUMENT, message, cause === undefined ? undefined : { cause });
}

function parseJson(body: Uint8Array): JsonValue {
  try {
    return JSON.parse(utf8.decode(body)) as JsonValue;
  } catch (e) {
    throw invalid(`the request body is not JSON: ${(e as Error).message}`, e);
  }
}

/** `a.b.c` (proto or JSON names) to its field chain; undefined for an unknown field or one a query cannot set. */
function resolveQueryField(input: DescMessage, name: string): DescField[] | undefined {
  const names = name.split(".");
  if (names.length > maxQueryDepth) return undefined;
  const chain: DescField[] = [];
  let message: DescMessage | undefined = input;
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    const field: DescField | undefined = message?.fields.find((f) => f.name === n || f.jsonName === n);
    if (!field) return undefined;
    chain.push(field);
    const last = i === names.length - 1;
    if (field.fieldKind === "map") return undefined;
    // Repeated message fields cannot be query parameters (http.proto), except lists of scalar wrappers.
    if (field.fieldKind === "list" && field.listKind === "message" && !(last && isScalarWrapper(field.message))) return undefined;
    if (last) {
      if (field.fieldKind === "message" && !isScalarWrapper(field.message)) return undefined;
    } else {
      if (field.fieldKind !== "message" || isScalarWrapper(field.message)) return undefined;
      message = field.message;
    }
  }
  return chain;
}

function sameField(a: readonly DescField[], b: readonly DescField[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Sets `value` at `chain` in the JSON tree, making objects on the way (a body's key under either name is reused). */
function setAt(root: JsonObject, chain: readonly DescField[], value: JsonValue): void {
  let obj = root;
  for (let i = 0; i < chain.length; i++) {
    const f = chain[i]!;
    const key = f.jsonName in obj ? f.jsonName : f.name in obj ? f.name : f.jsonName;
    if (i === chain.length - 1) {
      obj[key] = value;
      return;
    }
    const next = obj[key];
    if (next === null || typeof next !== "object" || Array.isArray(next)) obj = obj[key] = {};
    else obj = next;
  }
}

/**
 * A path or query value (text) as the JSON value protobuf's JSON mapping
 * reads for `field`: numbers and 64-bit integers stay strings (the mapping
 * accepts both), booleans become booleans, enum numbers become numbers.
 */
function scalarJson(field: DescField, text: string, name: string): JsonValue {
  const type = scalarTypeOf(field);
  if (type === "enum") return /^-?\d+$/.test(text) ? Number(text) : text;
  if (type === ScalarType.BOOL) {
    if (text === "true" || text === "1") return true;
    if (text === "false" || text === "0") return false;
    throw invalid(`"${name}": "${text}" is not a boolean (true, false, 1, 0)`);
  }
  return text;
}
