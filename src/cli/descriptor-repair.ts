import type { DescriptorProto, FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { protoCamelCase } from "@bufbuild/protobuf/reflect";

/**
 * Lenient fixes for descriptors that some reflection servers send, so that
 * they can be called all the same. @grpc/reflection 1.0.4 synthesizes one
 * file per package (`peer_v1.proto`) that lists no imports, and writes
 * field types as written in the .proto (`google.protobuf.Timestamp`,
 * `Note`) rather than fully qualified. Here, type names are resolved by
 * protobuf's scoping rules against every known file and rewritten fully
 * qualified, and a file gets an import for each other file whose types it
 * uses. Returns the references that no known file defines: the name as
 * written, and the fully qualified names it may stand for, innermost scope
 * first, for the caller to fetch.
 */
export function repairDescriptors(files: Map<string, FileDescriptorProto>): UnresolvedType[] {
  const definedIn = new Map<string, string>();
  for (const file of files.values()) {
    for (const name of definedNames(file)) if (!definedIn.has(name)) definedIn.set(name, file.name);
  }
  const unknown = new Map<string, UnresolvedType>();
  for (const file of files.values()) {
    const use = (scope: string, typeName: string, set: (qualified: string) => void) => {
      if (!typeName) return;
      const full = resolveType(scope, typeName, definedIn);
      if (full === undefined) {
        const candidates = guesses(scope, typeName);
        unknown.set(candidates.join(" "), { name: typeName, candidates });
        return;
      }
      if (typeName !== `.${full}`) set(`.${full}`);
      const home = definedIn.get(full)!;
      if (home !== file.name && !file.dependency.includes(home)) file.dependency.push(home);
    };
    const message = (m: DescriptorProto, scope: string) => {
      const name = scope ? `${scope}.${m.name}` : m.name;
      for (const f of m.field) use(name, f.typeName, (q) => (f.typeName = q));
      for (const x of m.extension) (use(name, x.typeName, (q) => (x.typeName = q)), use(name, x.extendee, (q) => (x.extendee = q)));
      for (const n of m.nestedType) message(n, name);
    };
    for (const m of file.messageType) message(m, file.package);
    for (const x of file.extension) (use(file.package, x.typeName, (q) => (x.typeName = q)), use(file.package, x.extendee, (q) => (x.extendee = q)));
    for (const s of file.service) {
      for (const m of s.method) (use(file.package, m.inputType, (q) => (m.inputType = q)), use(file.package, m.outputType, (q) => (m.outputType = q)));
    }
  }
  return [...unknown.values()];
}

/** A type name that no known file defines. */
export interface UnresolvedType {
  /** As the descriptor writes it. */
  name: string;
  /** Fully qualified names it may stand for, the one protobuf would pick first. */
  candidates: string[];
}

/** `name` as seen from `scope` (a package or message name), by protobuf's rules: innermost scope first. */
function resolveType(scope: string, name: string, defined: ReadonlyMap<string, string>): string | undefined {
  if (name.startsWith(".")) return defined.has(name.slice(1)) ? name.slice(1) : undefined;
  for (const candidate of guesses(scope, name)) if (defined.has(candidate)) return candidate;
  return undefined;
}

function guesses(scope: string, name: string): string[] {
  if (name.startsWith(".")) return [name.slice(1)];
  const out: string[] = [];
  const parts = scope ? scope.split(".") : [];
  for (let i = parts.length; i >= 0; i--) out.push([...parts.slice(0, i), name].join("."));
  return out;
}

function definedNames(file: FileDescriptorProto): string[] {
  const out: string[] = [];
  const prefix = file.package ? `${file.package}.` : "";
  const message = (m: DescriptorProto, scope: string) => {
    const name = `${scope}${m.name}`;
    out.push(name);
    for (const n of m.nestedType) message(n, `${name}.`);
    for (const e of m.enumType) out.push(`${name}.${e.name}`);
  };
  for (const m of file.messageType) message(m, prefix);
  for (const e of file.enumType) out.push(`${prefix}${e.name}`);
  for (const s of file.service) out.push(`${prefix}${s.name}`);
  return out;
}

/** Top-level type names a file defines (to tell whether two files clash). */
export function topLevelNames(file: FileDescriptorProto): string[] {
  const prefix = file.package ? `${file.package}.` : "";
  return [...file.messageType.map((m) => prefix + m.name), ...file.enumType.map((e) => prefix + e.name), ...file.service.map((s) => prefix + s.name)];
}

/**
 * Fills in `json_name` where a descriptor leaves it empty: compilers set it,
 * but descriptors sent by reflection servers often lack it (grpc-go's,
 * @grpc/reflection's), and @bufbuild/protobuf takes it as given.
 */
export function fillJsonNames(file: FileDescriptorProto): void {
  const message = (m: DescriptorProto) => {
    for (const f of m.field) if (!f.jsonName) f.jsonName = protoCamelCase(f.name);
    for (const n of m.nestedType) message(n);
  };
  for (const m of file.messageType) message(m);
}
