import type { DescFile } from "@bufbuild/protobuf";

/**
 * Files in an order where each comes after the files it imports (what
 * `createFileRegistry` needs, and what a reader of a descriptor set can
 * take in one pass): `roots` and everything they import, transitively, each
 * once. Names already in `seen` are left out (with what only they import);
 * every name placed is added to it, so that a caller can carry `seen` from
 * one walk to the next. An import cycle does not loop: its files are
 * placed once, and whoever builds them reports it.
 */
export function importsFirst<F>(roots: Iterable<F>, nameOf: (file: F) => string, importsOf: (file: F) => Iterable<F>, seen = new Set<string>()): F[] {
  const out: F[] = [];
  const visit = (file: F) => {
    const name = nameOf(file);
    if (seen.has(name)) return;
    seen.add(name);
    for (const dep of importsOf(file)) visit(dep);
    out.push(file);
  };
  for (const root of roots) visit(root);
  return out;
}

/** `importsFirst` for the descriptors of `@bufbuild/protobuf`. */
export function descFilesImportsFirst(roots: Iterable<DescFile>, seen?: Set<string>): DescFile[] {
  return importsFirst(roots, (f) => f.proto.name, (f) => f.dependencies, seen);
}
