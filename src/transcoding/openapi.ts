import { ScalarType, type DescEnum, type DescField, type DescMessage, type DescService } from "@bufbuild/protobuf";
import { StatusSchema } from "../status/gen/google/rpc/status_pb.js";
import { httpBindings, type HttpBinding } from "./http-rule.js";

/** A JSON Schema or OpenAPI object, as plain JSON. */
export type OpenApiObject = { [key: string]: unknown };

/** Options of `createOpenApiDocument`. */
export interface OpenApiOptions {
  /** `info.title`. Default: the names of the services that have rules, comma-separated. */
  title?: string;
  /** `info.version`. Default `"0.0.0"`. */
  version?: string;
  /** `info.description`. Default: none. */
  description?: string;
  /** `servers` (`[{ url: "https://api.example.com" }]`). Default: none (relative to where the document is served). */
  servers?: { url: string; description?: string }[];
}

const statusRef = { $ref: "#/components/schemas/google.rpc.Status" };
const httpMethods = new Set(["get", "put", "post", "delete", "patch", "head", "options", "trace"]);

/**
 * An OpenAPI 3.1 document of the HTTP/JSON routes of `services`, from the
 * same `google.api.http` rules and message descriptors the server
 * transcodes with: one operation per binding (`additional_bindings`
 * included), path parameters from the template's variables, query
 * parameters for the fields neither path nor body sets, the body, the
 * response (or its `response_body` field; a server stream as
 * newline-delimited `{"result": …}` / `{"error": …}` objects), and the
 * error body (`google.rpc.Status`) as every operation's default response.
 * Schemas follow protobuf's JSON mapping (64-bit integers as strings,
 * enums by name, well-known types in their JSON forms).
 *
 * Methods without a rule are left out; rules of custom kind `*` (any
 * method) have no OpenAPI equivalent and are left out too. Throws a
 * `TypeError` for a rule the server would refuse.
 *
 * ```ts
 * import { createOpenApiDocument } from "tsgrpc/rest";
 * writeFileSync("openapi.json", JSON.stringify(createOpenApiDocument([UserService], { title: "Users" }), null, 2));
 * ```
 */
export function createOpenApiDocument(services: readonly DescService[], options: OpenApiOptions = {}): OpenApiObject {
  const schemas = new SchemaSet();
  schemas.message(StatusSchema);
  const paths: Record<string, Record<string, unknown>> = {};
  const operationIds = new Set<string>();
  for (const service of services) {
    for (const method of service.methods) {
      httpBindings(method).forEach((binding, index) => {
        const verb = binding.httpMethod.toLowerCase();
        if (!httpMethods.has(verb)) return;
        const path = openApiPath(binding);
        const item = (paths[path] ??= {});
        if (item[verb]) return; // two templates that OpenAPI writes alike: the first one is described
        let id = `${service.typeName}.${method.name}${index > 0 ? `_${index}` : ""}`;
        while (operationIds.has(id)) id += "_";
        operationIds.add(id);
        item[verb] = operation(binding, id, schemas);
      });
    }
  }
  const routed = services.filter((s) => s.methods.some((m) => httpBindings(m).length > 0));
  const info: OpenApiObject = { title: options.title ?? (routed.map((s) => s.typeName).join(", ") || "API"), version: options.version ?? "0.0.0" };
  if (options.description !== undefined) info.description = options.description;
  const doc: OpenApiObject = { openapi: "3.1.0", info };
  if (options.servers) doc.servers = options.servers;
  doc.tags = routed.map((s) => ({ name: s.typeName }));
  doc.paths = paths;
  doc.components = { schemas: schemas.all() };
  return doc;
}

/** `/v1/{name=projects/*}:cancel` as OpenAPI writes it: `/v1/{name}:cancel`. */
function openApiPath(binding: HttpBinding): string {
  const t = binding.template;
  const parts: string[] = [];
  for (let i = 0; i < t.segments.length; ) {
    const v = t.variables.find((x) => x.start === i);
    if (v) {
      parts.push(`{${v.fieldPath.join(".")}}`);
      i = v.end < 0 ? t.segments.length : v.end;
      continue;
    }
    const s = t.segments[i]!;
    parts.push(s.kind === "literal" ? encodeURIComponent(s.value) : s.kind === "wildcard" ? "*" : "**");
    i++;
  }
  return "/" + parts.join("/") + (t.verb ? `:${t.verb}` : "");
}

function operation(binding: HttpBinding, operationId: string, schemas: SchemaSet): OpenApiObject {
  const method = binding.method;
  const parameters: OpenApiObject[] = [];
  binding.template.variables.forEach((v, i) => {
    const leaf = binding.pathFields[i]![binding.pathFields[i]!.length - 1]!;
    const schema = schemas.field(leaf, true);
    const multi = v.end < 0 || v.end - v.start > 1;
    if (multi) schema.pattern = variablePattern(binding, i);
    parameters.push({ name: v.fieldPath.join("."), in: "path", required: true, schema, ...(multi ? { description: "Several path segments: '/' stays as it is, other reserved characters are percent-encoded." } : {}) });
  });
  if (binding.body !== "*") {
    const bound = new Set(binding.pathFields.map((chain) => chain.map((f) => f.name).join(".")));
    queryParameters(method.input, [], [], bound, binding.body, schemas, parameters);
  }
  const op: OpenApiObject = { operationId, tags: [method.parent.typeName] };
  if (parameters.length > 0) op.parameters = parameters;
  if (binding.body !== undefined) {
    const schema = binding.body === "*" ? schemas.ref(method.input) : schemas.field(binding.body, false);
    const requestStream = method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming";
    op.requestBody = requestStream
      ? { required: false, description: "A stream: one JSON value per line, each a request message.", content: { "application/x-ndjson": { schema } } }
      : { required: false, content: { "application/json": { schema } } };
  }
  const output = binding.responseBody ? schemas.field(binding.responseBody, false) : schemas.ref(method.output);
  const ok =
    method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming"
      ? {
          description: "A stream: one JSON object per line, each message as result, a failure after the first message as error.",
          content: { "application/x-ndjson": { schema: { type: "object", properties: { result: output, error: statusRef } } } },
        }
      : { description: "OK", content: { "application/json": { schema: output } } };
  op.responses = { "200": ok, default: { description: "An error: google.rpc.Status in JSON, with the HTTP status of its code.", content: { "application/json": { schema: statusRef } } } };
  return op;
}

function variablePattern(binding: HttpBinding, index: number): string {
  const v = binding.template.variables[index]!;
  const segs = binding.template.segments.slice(v.start, v.end < 0 ? undefined : v.end);
  const re = segs.map((s) => (s.kind === "literal" ? s.value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") : s.kind === "wildcard" ? "[^/]+" : ".*")).join("/");
  return `^${re}$`;
}

/** Query parameters for every leaf field neither the path nor the body sets, dotted for nested messages. */
function queryParameters(
  message: DescMessage,
  prefix: string[],
  jsonPrefix: string[],
  bound: Set<string>,
  body: DescField | undefined,
  schemas: SchemaSet,
  out: OpenApiObject[],
  seen: DescMessage[] = [],
): void {
  for (const field of message.fields) {
    if (prefix.length === 0 && field === body) continue;
    const path = [...prefix, field.name];
    if (bound.has(path.join("."))) continue;
    const name = [...jsonPrefix, field.jsonName].join(".");
    if (field.fieldKind === "map") continue;
    if (field.fieldKind === "list") {
      if (field.listKind === "message" && !isQueryScalar(field.message)) continue;
      out.push({ name, in: "query", required: false, explode: true, schema: schemas.field(field, false) });
      continue;
    }
    if (field.fieldKind === "message" && !isQueryScalar(field.message)) {
      // Nested fields as a.b; a message type already on the way (a recursive type) stops here.
      if (seen.includes(field.message) || field.message.typeName.startsWith("google.protobuf.")) continue;
      queryParameters(field.message, path, [...jsonPrefix, field.jsonName], bound, body, schemas, out, [...seen, message]);
      continue;
    }
    out.push({ name, in: "query", required: false, schema: schemas.field(field, false) });
  }
}

function isQueryScalar(message: DescMessage): boolean {
  return wellKnown(message) !== undefined && !["google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue", "google.protobuf.Any", "google.protobuf.Empty"].includes(message.typeName);
}

/** The JSON Schema of a well-known type's JSON form, or undefined for other messages. */
function wellKnown(message: DescMessage): OpenApiObject | undefined {
  switch (message.typeName) {
    case "google.protobuf.Timestamp":
      return { type: "string", format: "date-time" };
    case "google.protobuf.Duration":
      return { type: "string", pattern: "^-?[0-9]+(\\.[0-9]{1,9})?s$", examples: ["1.5s"] };
    case "google.protobuf.FieldMask":
      return { type: "string", description: "Field paths, comma-separated, in lowerCamelCase." };
    case "google.protobuf.Struct":
      return { type: "object", additionalProperties: true };
    case "google.protobuf.Value":
      return {};
    case "google.protobuf.ListValue":
      return { type: "array" };
    case "google.protobuf.Empty":
      return { type: "object", additionalProperties: false };
    case "google.protobuf.Any":
      return { type: "object", properties: { "@type": { type: "string" } }, required: ["@type"], additionalProperties: true };
    case "google.protobuf.DoubleValue":
    case "google.protobuf.FloatValue":
    case "google.protobuf.Int64Value":
    case "google.protobuf.UInt64Value":
    case "google.protobuf.Int32Value":
    case "google.protobuf.UInt32Value":
    case "google.protobuf.BoolValue":
    case "google.protobuf.StringValue":
    case "google.protobuf.BytesValue": {
      const value = message.fields[0]!;
      const s = value.fieldKind === "scalar" ? scalarSchema(value.scalar) : {};
      return { ...s, type: [s.type as string, "null"] };
    }
    default:
      return undefined;
  }
}

function scalarSchema(t: ScalarType): OpenApiObject {
  switch (t) {
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.BYTES:
      return { type: "string", contentEncoding: "base64" };
    case ScalarType.DOUBLE:
      return { type: "number", format: "double" };
    case ScalarType.FLOAT:
      return { type: "number", format: "float" };
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return { type: "integer", format: "int32" };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: "integer", format: "int64", minimum: 0, maximum: 4294967295 };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return { type: "string", format: "int64", pattern: "^-?[0-9]+$" };
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return { type: "string", format: "uint64", pattern: "^[0-9]+$" };
  }
}

/** The component schemas a document refers to, collected as they are referred to. */
class SchemaSet {
  readonly #schemas: Record<string, OpenApiObject> = {};

  all(): Record<string, OpenApiObject> {
    return Object.fromEntries(Object.entries(this.#schemas).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** A reference to `message`'s schema (or the inline schema of a well-known type). */
  ref(message: DescMessage): OpenApiObject {
    const wkt = wellKnown(message);
    if (wkt) return wkt;
    this.message(message);
    return { $ref: `#/components/schemas/${message.typeName}` };
  }

  message(message: DescMessage): void {
    if (this.#schemas[message.typeName]) return;
    const properties: Record<string, OpenApiObject> = {};
    const schema: OpenApiObject = { type: "object", properties };
    this.#schemas[message.typeName] = schema; // before the fields: recursive types refer to it
    for (const f of message.fields) properties[f.jsonName] = this.field(f, false);
  }

  #enum(e: DescEnum): OpenApiObject {
    if (e.typeName === "google.protobuf.NullValue") return { type: "null" };
    this.#schemas[e.typeName] ??= { type: "string", enum: e.values.map((v) => v.name) };
    return { $ref: `#/components/schemas/${e.typeName}` };
  }

  /** The schema of one field's JSON value; `single` for a path variable (the element, never a list). */
  field(f: DescField, single: boolean): OpenApiObject {
    switch (f.fieldKind) {
      case "scalar":
        return scalarSchema(f.scalar);
      case "enum":
        return this.#enum(f.enum);
      case "message":
        return this.ref(f.message);
      case "list": {
        const items = f.listKind === "scalar" ? scalarSchema(f.scalar) : f.listKind === "enum" ? this.#enum(f.enum) : this.ref(f.message);
        return single ? items : { type: "array", items };
      }
      case "map": {
        const value = f.mapKind === "scalar" ? scalarSchema(f.scalar) : f.mapKind === "enum" ? this.#enum(f.enum) : this.ref(f.message);
        return { type: "object", additionalProperties: value };
      }
    }
  }
}
