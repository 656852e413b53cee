import type { DescriptorProto, FileDescriptorProto } from "@bufbuild/protobuf/wkt";

/**
 * Lenient fixes for descriptors that some reflection servers send
 * (@grpc/reflection 1.0.4 synthesizes one file per package and lists no
 * imports): every type a file refers to must be defined in it or in a file
 * it imports, so missing imports are added where another known file defines
 * the type. Returns the referenced types that no known file defines, for the
 * caller to fetch (or to report).
 */
export function addMissingImports(files: Map<string, FileDescriptorProto>): string[] {
  const definedIn = new Map<string, string>();
  for (const file of files.values()) {
    for (const name of definedNames(file)) if (!definedIn.has(name)) definedIn.set(name, file.name);
  }
  const unknown = new Set<string>();
  for (const file of files.values()) {
    for (const ref of referencedTypes(file)) {
      const home = definedIn.get(ref);
      if (home === undefined) unknown.add(ref);
      else if (home !== file.name && !file.dependency.includes(home)) file.dependency.push(home);
    }
  }
  return [...unknown];
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

function referencedTypes(file: FileDescriptorProto): Set<string> {
  const refs = new Set<string>();
  const add = (t: string) => {
    if (t.startsWith(".")) refs.add(t.slice(1));
  };
  const message = (m: DescriptorProto) => {
    for (const f of m.field) add(f.typeName);
    for (const x of m.extension) (add(x.typeName), add(x.extendee));
    for (const n of m.nestedType) message(n);
  };
  for (const m of file.messageType) message(m);
  for (const x of file.extension) (add(x.typeName), add(x.extendee));
  for (const s of file.service) for (const m of s.method) (add(m.inputType), add(m.outputType));
  return refs;
}
