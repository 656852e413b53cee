import type { DescFile, DescService } from "@bufbuild/protobuf";
import { toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ServiceRegistrar, ServiceInfoProvider } from "../server/service-registrar.js";
import { Code } from "../status/code.js";
import { descFilesImportsFirst } from "../internal/imports-first.js";
import { ServerReflection as ServerReflectionV1 } from "./gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1Alpha } from "./gen/grpc/reflection/v1alpha/reflection_pb.js";
import { createDescriptorIndex, type DescriptorIndex } from "./descriptor-index.js";

/** Options of `createReflectionService`. */
export interface ReflectionServiceOptions {
  /**
   * The services to describe: a server (or anything with `services`, read
   * at the start of every reflection stream, so services registered later
   * show up), or a fixed list. Default: the server given to `register`.
   */
  services?: ServiceInfoProvider | readonly DescService[];
  /**
   * Further files to answer about, e.g. ones that only declare extensions
   * of the services' messages. The files of the services and everything
   * they import are always included.
   */
  files?: readonly DescFile[];
}

/** Server reflection, `grpc.reflection.v1` and `grpc.reflection.v1alpha`. */
export interface ReflectionService {
  /** Registers both versions of `grpc.reflection.*.ServerReflection` on `server`. */
  register(server: ServiceRegistrar & Partial<ServiceInfoProvider>): void;
}

/** The request fields both versions share. */
interface ReflectionRequest {
  host: string;
  messageRequest:
    | { case: "fileByFilename" | "fileContainingSymbol" | "allExtensionNumbersOfType" | "listServices"; value: string }
    | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
    | { case: undefined; value?: undefined };
}

/**
 * Creates server reflection (gRPC's doc/server-reflection.md) for the
 * registered services, from their `@bufbuild/protobuf` descriptors:
 * `list_services`, `file_by_filename`, `file_containing_symbol`,
 * `file_containing_extension` and `all_extension_numbers_of_type`, each file
 * sent with the files it imports (once per stream). Nothing is read from
 * disk. Lookups that fail are answered with an `error_response`
 * (NOT_FOUND, or INVALID_ARGUMENT for an empty request); the stream goes on.
 *
 * ```ts
 * import { createReflectionService } from "tsgrpc/reflection";
 *
 * createReflectionService().register(server);
 * // buf curl --protocol grpc --http2-prior-knowledge --list-services http://127.0.0.1:50051
 * ```
 */
export function createReflectionService(options: ReflectionServiceOptions = {}): ReflectionService {
  const extraFiles = [...(options.files ?? [])];
  return {
    register(server) {
      const source = options.services ?? (server.services !== undefined ? (server as ServiceInfoProvider) : undefined);
      if (source === undefined) throw new TypeError("createReflectionService: give `services`, or register on a server that lists its services");
      const indexer = cachedIndexer(source, extraFiles);
      // Both versions share the message shapes; only their type names differ.
      const impl = {
        serverReflectionInfo: (requests: AsyncIterable<ReflectionRequest>) => answer(requests, indexer),
      };
      server.service(ServerReflectionV1, impl as never);
      server.service(ServerReflectionV1Alpha, impl as never);
    },
  };
}

function cachedIndexer(source: ServiceInfoProvider | readonly DescService[], extraFiles: readonly DescFile[]): () => DescriptorIndex {
  let cached: { services: readonly DescService[]; index: DescriptorIndex } | undefined;
  return () => {
    const services = "services" in source && !Array.isArray(source) ? (source as ServiceInfoProvider).services : (source as readonly DescService[]);
    if (!cached || cached.services.length !== services.length || cached.services.some((s, i) => s !== services[i])) {
      cached = { services: [...services], index: createDescriptorIndex(services, extraFiles) };
    }
    return cached.index;
  };
}

async function* answer(requests: AsyncIterable<ReflectionRequest>, indexer: () => DescriptorIndex): AsyncGenerator<object> {
  const index = indexer();
  const sent = new Set<string>();
  for await (const request of requests) {
    yield { validHost: request.host, originalRequest: request, messageResponse: respond(request, index, sent) };
  }
}

function respond(request: ReflectionRequest, index: DescriptorIndex, sent: Set<string>): object {
  const r = request.messageRequest;
  switch (r.case) {
    case "listServices":
      return { case: "listServicesResponse", value: { service: index.services.map((name) => ({ name })) } };
    case "fileByFilename": {
      const file = index.files.get(r.value);
      return file ? files(file, sent) : notFound(`file "${r.value}" not found`);
    }
    case "fileContainingSymbol": {
      const name = r.value.startsWith(".") ? r.value.slice(1) : r.value;
      const file = index.symbols.get(name);
      return file ? files(file, sent) : notFound(`symbol "${r.value}" not found`);
    }
    case "fileContainingExtension": {
      const type = r.value.containingType.replace(/^\./, "");
      const file = index.extensions.get(type)?.get(r.value.extensionNumber);
      return file ? files(file, sent) : notFound(`extension ${r.value.extensionNumber} of "${r.value.containingType}" not found`);
    }
    case "allExtensionNumbersOfType": {
      const type = r.value.replace(/^\./, "");
      if (!index.messages.has(type)) return notFound(`message type "${r.value}" not found`);
      const numbers = [...(index.extensions.get(type)?.keys() ?? [])].sort((a, b) => a - b);
      return { case: "allExtensionNumbersResponse", value: { baseTypeName: type, extensionNumber: numbers } };
    }
    default:
      return error(Code.INVALID_ARGUMENT, "the request names no message_request (list_services, file_by_filename, ...)");
  }
}

/**
 * `file` (always: it was asked for), then the files it imports, transitively
 * and each after its own imports, leaving out those this stream has
 * already sent.
 */
function files(file: DescFile, sent: Set<string>): object {
  sent.add(file.proto.name);
  const out = [file, ...descFilesImportsFirst(file.dependencies, sent)].map((f) => toBinary(FileDescriptorProtoSchema, f.proto));
  return { case: "fileDescriptorResponse", value: { fileDescriptorProto: out } };
}

function notFound(message: string): object {
  return error(Code.NOT_FOUND, message);
}

function error(code: Code, message: string): object {
  return { case: "errorResponse", value: { errorCode: code, errorMessage: message } };
}
