import { create, createRegistry, toJson, toJsonString, type DescField, type DescMessage, type JsonValue, type Message, type Registry } from "@bufbuild/protobuf";
import type { Codec } from "../codec/codec.js";
import type { RpcError } from "../status/rpc-error.js";
import { StatusSchema } from "../status/gen/google/rpc/status_pb.js";
import { file_google_rpc_error_details } from "../status/error-details.js";
import { encodeBase64 } from "../internal/base64.js";
import type { HttpBinding } from "./http-rule.js";
import { decodeRequest } from "./request-mapping.js";

const encoder = new TextEncoder();
const typeUrlPrefix = "type.googleapis.com/";

/**
 * The message types JSON can name in `Any` fields and error details: the
 * standard error details (`google.rpc.ErrorInfo`…) and the user's registry.
 */
export function restRegistry(user: Registry | undefined): Registry {
  return user ? createRegistry(file_google_rpc_error_details, user) : createRegistry(file_google_rpc_error_details);
}

/**
 * The codec of one transcoded call: `decode` builds the request message
 * from the matched path variables, the query string and the body;
 * `encode` writes the response (or its `response_body` field) as protobuf
 * JSON, with fields at their default values too, as grpc-gateway does, so
 * that REST clients find every field.
 */
export function createRestCodec(binding: HttpBinding, pathValues: readonly string[], query: string, registry: Registry): Codec {
  return {
    name: "json",
    decode: (_schema, bytes) => decodeRequest(binding, pathValues, query, bytes, registry),
    encode: (schema, message) => encoder.encode(JSON.stringify(responseJson(schema, message, binding.responseBody, registry))),
  };
}

/** The JSON of a response, or of its `response_body` field. */
export function responseJson(schema: DescMessage, message: Message, field: DescField | undefined, registry: Registry): JsonValue {
  const json = toJson(schema, message, { registry, alwaysEmitImplicit: true }) as Record<string, JsonValue>;
  if (!field) return json;
  const value = json[field.jsonName];
  if (value !== undefined) return value;
  // An unset message field: its empty message, rather than nothing at all.
  return field.fieldKind === "message" ? toJson(field.message, create(field.message), { registry, alwaysEmitImplicit: true }) : null;
}

/**
 * A failed call as HTTP/JSON clients see it: a `google.rpc.Status` in JSON,
 * `{"code": 5, "message": "…", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", …}]}`.
 * A detail whose type the registry does not know is written as its type URL
 * and base64 `value` (what `Any` holds), so that nothing is silently lost.
 */
export function errorJson(error: RpcError, registry: Registry): JsonValue {
  const status = create(StatusSchema, {
    code: error.code,
    message: error.rawMessage,
    details: error.details.map((d) => ({ typeUrl: typeUrlPrefix + d.type, value: d.value })),
  });
  try {
    return toJson(StatusSchema, status, { registry, alwaysEmitImplicit: true });
  } catch {
    return {
      code: error.code,
      message: error.rawMessage,
      details: error.details.map((d) => {
        try {
          return JSON.parse(toJsonString(StatusSchema, create(StatusSchema, { details: [{ typeUrl: typeUrlPrefix + d.type, value: d.value }] }), { registry }))
            .details[0] as JsonValue;
        } catch {
          return { "@type": typeUrlPrefix + d.type, value: encodeBase64(d.value) };
        }
      }),
    };
  }
}
