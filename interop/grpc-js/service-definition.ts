/**
 * Turns a protobuf-es service descriptor into a grpc-js ServiceDefinition, so
 * the grpc-js peer speaks our generated schemas without proto-loader.
 * Method keys are the descriptor's localName (camelCase), for both client
 * stubs and server implementations.
 */
import type { ServiceDefinition, MethodDefinition } from "@grpc/grpc-js";
import { create, fromBinary, toBinary, type DescMessage, type DescService } from "@bufbuild/protobuf";
import { markRequestCompressed } from "./wire-compression.js";

function serializer(schema: DescMessage): (value: object) => Buffer {
  return (value) => {
    const bytes = toBinary(schema, create(schema, value as never));
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer(schema: DescMessage): (bytes: Buffer) => object {
  return (bytes) => markRequestCompressed(fromBinary(schema, bytes), bytes);
}

export function grpcJsService(service: DescService): ServiceDefinition {
  const def: Record<string, MethodDefinition<object, object>> = {};
  for (const method of service.methods) {
    def[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
      responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      requestSerialize: serializer(method.input),
      requestDeserialize: deserializer(method.input),
      responseSerialize: serializer(method.output),
      responseDeserialize: deserializer(method.output),
      originalName: method.name,
    };
  }
  return def as ServiceDefinition;
}
