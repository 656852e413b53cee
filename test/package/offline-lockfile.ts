// A package-lock.json for a scratch project, cut from the repository's own.
//
// The package test installs the README's packages without the network. npm
// resolves a new dependency from the registry's full package document, which
// `npm ci` never fetches; a lockfile lets `npm ci --offline` take the exact
// versions (and tarballs) that the repository's own `npm ci` put in npm's
// cache. So the scratch project gets the repository's versions of
// @bufbuild/protobuf, buf, protoc-gen-es, TypeScript, tsx… with every package
// they need, and tsgrpc from the tarball under test.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { relative } from "node:path";

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

export interface ScratchDependencies {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

/** Where Node would find `name` from the package at `from` ("" for the project). */
function locate(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const at = `${base ? `${base}/` : ""}node_modules/${name}`;
    if (packages[at]) return at;
    if (!base) return undefined;
    const i = base.lastIndexOf("/node_modules/");
    base = i < 0 ? "" : base.slice(0, i);
  }
}

export interface Lockfile {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}

export function readLockfile(path: string): Lockfile {
  const lock = JSON.parse(readFileSync(path, "utf8")) as Lockfile;
  if (!(lock.lockfileVersion >= 2)) throw new Error(`${path} must be lockfileVersion 2 or 3`);
  return lock;
}

/** The version the repository has at top level, or an error if it has none. */
export function lockedVersion(lock: Lockfile, name: string): string {
  const v = lock.packages[`node_modules/${name}`]?.version;
  if (!v) {
    throw new Error(`${name} is not a dependency of the repository, so npm's cache may lack it: add it to devDependencies`);
  }
  return v;
}

export interface ScratchLockfileOptions {
  /** The repository's lockfile. */
  lock: Lockfile;
  projectDir: string;
  /** The scratch project's package.json name and version. */
  project: { name: string; version: string };
  deps: ScratchDependencies;
  /** The packed tarball under test, and its package.json. */
  tarball: string;
  manifest: { name: string; version: string; dependencies?: Record<string, string>; [k: string]: unknown };
}

/** The lockfile of the scratch project: its deps as the repository has them, the package under test from its tarball. */
export function scratchLockfile({ lock, projectDir, project, deps, tarball, manifest }: ScratchLockfileOptions): object {
  const packages: Record<string, LockEntry> = {};
  const visit = (from: string, name: string, optional: boolean): void => {
    const at = locate(lock.packages, from, name);
    if (!at) {
      if (optional) return;
      throw new Error(`${name}, needed by ${from || "the project"}, is not in the repository's package-lock.json`);
    }
    if (packages[at]) return;
    const entry = lock.packages[at]!;
    packages[at] = entry;
    for (const d of Object.keys(entry.dependencies ?? {})) visit(at, d, false);
    for (const d of Object.keys(entry.optionalDependencies ?? {})) visit(at, d, true);
    for (const d of Object.keys(entry.peerDependencies ?? {})) visit(at, d, entry.peerDependenciesMeta?.[d]?.optional === true);
  };

  const own = manifest.name;
  for (const name of [...Object.keys(deps.dependencies), ...Object.keys(deps.devDependencies)]) {
    if (name !== own) visit("", name, false);
  }
  for (const name of Object.keys(manifest.dependencies ?? {})) visit(`node_modules/${own}`, name, false);

  const ownEntry: Record<string, unknown> = {
    version: manifest.version,
    resolved: `file:${relative(projectDir, tarball)}`,
    integrity: `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`,
  };
  for (const key of ["license", "dependencies", "engines", "bin"]) {
    if (manifest[key] !== undefined) ownEntry[key] = manifest[key];
  }
  return {
    name: project.name,
    version: project.version,
    lockfileVersion: 3,
    requires: true,
    packages: {
      "": { name: project.name, version: project.version, ...deps },
      [`node_modules/${own}`]: ownEntry,
      ...packages,
    },
  };
}
