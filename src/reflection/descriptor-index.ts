import type { DescFile, DescService } from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import { descFilesImportsFirst } from "../internal/imports-first.js";

/**
 * The files, symbols and extensions that reflection answers about: the
 * files of the registered services, their transitive imports, and any extra
 * files, indexed by file name, fully qualified symbol and extendee.
 */
export interface DescriptorIndex {
  readonly services: readonly string[];
  readonly files: ReadonlyMap<string, DescFile>;
  /** Fully qualified names (no leading dot) of messages, fields, oneofs, enums, enum values, services, methods and extensions. */
  readonly symbols: ReadonlyMap<string, DescFile>;
  /** Extendee's fully qualified name → extension number → the file that declares it. */
  readonly extensions: ReadonlyMap<string, ReadonlyMap<number, DescFile>>;
  /** Fully qualified names of the messages known. */
  readonly messages: ReadonlySet<string>;
}

export function createDescriptorIndex(services: readonly DescService[], extraFiles: readonly DescFile[]): DescriptorIndex {
  const files = new Map<string, DescFile>();
  const symbols = new Map<string, DescFile>();
  const extensions = new Map<string, Map<number, DescFile>>();
  const messages = new Set<string>();
  for (const file of descFilesImportsFirst([...services.map((s) => s.file), ...extraFiles])) {
    files.set(file.proto.name, file);
    for (const type of nestedTypes(file)) {
      symbols.set(type.typeName, file);
      switch (type.kind) {
        case "message":
          messages.add(type.typeName);
          for (const field of type.fields) symbols.set(`${type.typeName}.${field.name}`, file);
          for (const oneof of type.oneofs) symbols.set(`${type.typeName}.${oneof.name}`, file);
          break;
        case "enum": {
          // Enum values are scoped like siblings of their enum.
          const scope = type.typeName.slice(0, Math.max(0, type.typeName.lastIndexOf(".")));
          for (const value of type.values) symbols.set(scope ? `${scope}.${value.name}` : value.name, file);
          break;
        }
        case "service":
          for (const method of type.methods) symbols.set(`${type.typeName}.${method.name}`, file);
          break;
        case "extension": {
          let byNumber = extensions.get(type.extendee.typeName);
          if (!byNumber) extensions.set(type.extendee.typeName, (byNumber = new Map()));
          byNumber.set(type.number, file);
          break;
        }
      }
    }
  }
  return { services: services.map((s) => s.typeName), files, symbols, extensions, messages };
}
