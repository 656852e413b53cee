import { getOption, hasOption, ScalarType, type DescField, type DescMessage, type DescMethod } from "@bufbuild/protobuf";
import { http } from "./gen/google/api/annotations_pb.js";
import type { HttpRule } from "./gen/google/api/http_pb.js";
import { parsePathTemplate, PathTemplateError, type PathTemplate } from "./path-template.js";

/** One HTTP binding of a method: a `google.api.http` rule or one of its `additional_bindings`, checked against the method's messages. */
export interface HttpBinding {
  readonly method: DescMethod;
  /** Upper-case HTTP method; `*` (a custom rule of kind `*`) stands for any. */
  readonly httpMethod: string;
  readonly template: PathTemplate;
  /** The field chain each template variable sets, in the template's order. */
  readonly pathFields: readonly (readonly DescField[])[];
  /** What the request body holds: nothing, the whole request (`*`), or one top-level field. */
  readonly body: undefined | "*" | DescField;
  /** The top-level response field that is the response body, or undefined for the whole response. */
  readonly responseBody: DescField | undefined;
}

/**
 * The HTTP bindings of `method`, from its `google.api.http` option; none
 * when it has none. Throws a `TypeError` naming the method and the rule for
 * anything the rules of `google/api/http.proto` forbid: a bad template, a
 * variable bound to an unknown, repeated, map or message field, an unknown
 * body or response field, a body on GET, nested `additional_bindings`.
 */
export function httpBindings(method: DescMethod): HttpBinding[] {
  if (!hasOption(method, http)) return [];
  const rule = getOption(method, http);
  const where = `${method.parent.typeName}.${method.name}`;
  const out = [compileRule(method, rule, where)];
  for (const extra of rule.additionalBindings) {
    if (extra.additionalBindings.length > 0) throw new TypeError(`google.api.http of ${where}: additional_bindings must not have additional_bindings of their own`);
    out.push(compileRule(method, extra, where));
  }
  return out;
}

function compileRule(method: DescMethod, rule: HttpRule, where: string): HttpBinding {
  const p = rule.pattern;
  let httpMethod: string;
  let path: string;
  switch (p.case) {
    case "get":
    case "put":
    case "post":
    case "delete":
    case "patch":
      httpMethod = p.case.toUpperCase();
      path = p.value;
      break;
    case "custom":
      httpMethod = p.value.kind === "*" ? "*" : p.value.kind.toUpperCase();
      path = p.value.path;
      if (!/^(\*|[A-Za-z]+)$/.test(p.value.kind)) throw new TypeError(`google.api.http of ${where}: custom kind "${p.value.kind}" is not an HTTP method`);
      break;
    default:
      throw new TypeError(`google.api.http of ${where}: the rule has no pattern (get, put, post, delete, patch or custom)`);
  }
  const fail = (why: string): never => {
    throw new TypeError(`google.api.http of ${where} (${httpMethod} ${path}): ${why}`);
  };
  let template: PathTemplate;
  try {
    template = parsePathTemplate(path);
  } catch (e) {
    if (e instanceof PathTemplateError) fail(e.message);
    throw e;
  }
  const input = method.input;
  const pathFields = template.variables.map((v) => resolvePathField(input, v.fieldPath, fail));
  let body: HttpBinding["body"];
  if (rule.body === "*") {
    body = "*";
  } else if (rule.body !== "") {
    body = input.fields.find((f) => f.name === rule.body) ?? fail(`body "${rule.body}" is not a field of ${input.typeName}`);
    if (pathFields.some((chain) => chain[0] === body)) fail(`the body field "${rule.body}" is also bound by the path`);
  }
  if (body !== undefined && httpMethod === "GET") fail("a GET rule must not have a body");
  let responseBody: DescField | undefined;
  if (rule.responseBody !== "") {
    responseBody = method.output.fields.find((f) => f.name === rule.responseBody) ?? fail(`response_body "${rule.responseBody}" is not a field of ${method.output.typeName}`);
  }
  const requestStream = method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming";
  if (requestStream && body === undefined) fail("a method with a request stream needs a body rule (its messages are the body, one JSON value per line)");
  return { method, httpMethod, template, pathFields, body, responseBody };
}

function resolvePathField(input: DescMessage, names: readonly string[], fail: (why: string) => never): DescField[] {
  const chain: DescField[] = [];
  let message: DescMessage | undefined = input;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const field: DescField | undefined = message?.fields.find((f) => f.name === name);
    if (!field) return fail(`"${names.join(".")}": ${message?.typeName ?? "?"} has no field "${name}"`);
    chain.push(field);
    const last = i === names.length - 1;
    if (field.fieldKind === "list" || field.fieldKind === "map") return fail(`"${names.join(".")}": path variables must not refer to repeated or map fields`);
    if (!last) {
      if (field.fieldKind !== "message") return fail(`"${names.join(".")}": "${name}" is not a message field`);
      message = field.message;
    } else if (field.fieldKind === "message" && !isScalarWrapper(field.message)) {
      return fail(`"${names.join(".")}": path variables must refer to fields of a primitive type`);
    }
  }
  return chain;
}

/** Messages whose JSON form is one string or number: they may stand in paths and query parameters. */
export function isScalarWrapper(message: DescMessage): boolean {
  switch (message.typeName) {
    case "google.protobuf.Timestamp":
    case "google.protobuf.Duration":
    case "google.protobuf.FieldMask":
    case "google.protobuf.DoubleValue":
    case "google.protobuf.FloatValue":
    case "google.protobuf.Int64Value":
    case "google.protobuf.UInt64Value":
    case "google.protobuf.Int32Value":
    case "google.protobuf.UInt32Value":
    case "google.protobuf.BoolValue":
    case "google.protobuf.StringValue":
    case "google.protobuf.BytesValue":
      return true;
    default:
      return false;
  }
}

/** The scalar type a path or query value of `field` is read as (a wrapper's `value`; Timestamp, Duration and FieldMask read as strings). */
export function scalarTypeOf(field: DescField): ScalarType | "enum" {
  if (field.fieldKind === "enum" || (field.fieldKind === "list" && field.listKind === "enum")) return "enum";
  if (field.fieldKind === "scalar") return field.scalar;
  if (field.fieldKind === "list" && field.listKind === "scalar") return field.scalar;
  const message = field.fieldKind === "message" ? field.message : field.fieldKind === "list" && field.listKind === "message" ? field.message : undefined;
  const value = message?.fields.find((f) => f.name === "value");
  if (message && isScalarWrapper(message) && value?.fieldKind === "scalar") return value.scalar;
  return ScalarType.STRING;
}
