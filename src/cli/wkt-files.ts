import type { DescFile } from "@bufbuild/protobuf";
import {
  file_google_protobuf_any,
  file_google_protobuf_api,
  file_google_protobuf_descriptor,
  file_google_protobuf_duration,
  file_google_protobuf_empty,
  file_google_protobuf_field_mask,
  file_google_protobuf_source_context,
  file_google_protobuf_struct,
  file_google_protobuf_timestamp,
  file_google_protobuf_type,
  file_google_protobuf_wrappers,
} from "@bufbuild/protobuf/wkt";

/** The well-known types' files, by file name: what a schema may import without shipping. */
export const wellKnownFiles: ReadonlyMap<string, DescFile> = new Map(
  [
    file_google_protobuf_any,
    file_google_protobuf_api,
    file_google_protobuf_descriptor,
    file_google_protobuf_duration,
    file_google_protobuf_empty,
    file_google_protobuf_field_mask,
    file_google_protobuf_source_context,
    file_google_protobuf_struct,
    file_google_protobuf_timestamp,
    file_google_protobuf_type,
    file_google_protobuf_wrappers,
  ].map((f) => [f.proto.name, f]),
);

/** The well-known file that defines `typeName` (no leading dot), if any. */
export function wellKnownFileOf(typeName: string): DescFile | undefined {
  for (const file of wellKnownFiles.values()) {
    if (!typeName.startsWith(`${file.proto.package}.`)) continue;
    const rest = typeName.slice(file.proto.package.length + 1).split(".")[0];
    if (file.proto.messageType.some((m) => m.name === rest) || file.proto.enumType.some((e) => e.name === rest)) return file;
  }
  return undefined;
}
