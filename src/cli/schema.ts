import { clone, createFileRegistry, create, fromBinary, type DescFile, type DescService, type FileRegistry, type Registry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import type { Channel, Metadata } from "../index.js";
import { importsFirst } from "../internal/imports-first.js";
import { CliError } from "./cli-error.js";
import { fillJsonNames, repairDescriptors, topLevelNames } from "./descriptor-repair.js";
import { readFlagFile, type Flags } from "./options.js";
import { compileProtos } from "./proto-compiler.js";
import { ReflectionClient } from "./reflection-client.js";
import { wellKnownFileOf, wellKnownFiles } from "./wkt-files.js";

/** Where the command's descriptors come from: the server's reflection, or files given on the command line. */
export interface Schema {
  /** Fully qualified names of the services. */
  listServices(): Promise<string[]>;
  /** The service, message, enum, extension or method named `symbol`, with everything it refers to loaded. */
  findSymbol(symbol: string): Promise<DescFile | undefined>;
  /** All descriptors loaded so far (for JSON of `Any` fields and describing). */
  registry(): FileRegistry & Registry;
  /** What the schema is, for messages: "reflection (v1)", "--protoset x". */
  readonly source: string;
  close(): void;
}

export function openSchema(flags: Flags, channel: Channel | undefined, metadata: Metadata, timeoutMs: number | undefined): Schema {
  if (flags.protoset?.length || flags.proto?.length) return fileSchema(flags);
  if (!channel) throw new CliError("no schema: give --proto or --protoset");
  return reflectionSchema(new ReflectionClient(channel, metadata, timeoutMs));
}

function fileSchema(flags: Flags): Schema {
  const files: FileDescriptorProto[] = [];
  for (const path of flags.protoset ?? []) {
    try {
      files.push(...fromBinary(FileDescriptorSetSchema, readFlagFile(path, "--protoset")).file);
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError(`--protoset ${path} is not a FileDescriptorSet: ${(e as Error).message}`, { hint: "write one with `buf build -o image.binpb` or `protoc --include_imports --descriptor_set_out=image.binpb`" });
    }
  }
  if (flags.proto?.length) files.push(...compileProtos(flags.proto, flags["import-path"] ?? []));
  const registry = buildRegistry(new Map(files.map((f) => [f.name, f])));
  const source = flags.protoset?.length ? `--protoset ${flags.protoset.join(", ")}` : `--proto ${flags.proto!.join(", ")}`;
  return {
    source,
    async listServices() {
      const out: string[] = [];
      for (const file of registry.files) for (const s of file.services) out.push(s.typeName);
      return out.sort();
    },
    async findSymbol(symbol) {
      return fileOfSymbol(registry, symbol);
    },
    registry: () => registry,
    close() {},
  };
}

function reflectionSchema(client: ReflectionClient): Schema {
  const files = new Map<string, FileDescriptorProto>();
  let registry: FileRegistry | undefined;
  /** Adds the files not known yet; true if there was one. */
  const add = (list: FileDescriptorProto[] | undefined) => {
    let added = false;
    for (const f of list ?? []) {
      if (files.has(f.name)) continue;
      files.set(f.name, f);
      registry = undefined;
      added = true;
    }
    return added;
  };
  /** Fetches what the loaded files import or refer to, until nothing is missing (see descriptor-repair.ts). */
  const complete = async () => {
    for (let round = 0; round < 20; round++) {
      let progress = false;
      for (const f of [...files.values()]) {
        for (const dep of f.dependency) {
          if (files.has(dep)) continue;
          const got = wellKnownFiles.has(dep) ? [clone(FileDescriptorProtoSchema, wellKnownFiles.get(dep)!.proto)] : await client.fileByFilename(dep);
          if (!got) throw new CliError(`the server's reflection cannot find "${dep}", which ${f.name} imports`);
          progress = add(got) || progress;
        }
      }
      const unknown = repairDescriptors(files);
      registry = undefined;
      const missing: string[] = [];
      for (const { name, candidates } of unknown) {
        let got: FileDescriptorProto[] | undefined;
        for (const type of candidates) {
          // The well-known types come from @bufbuild/protobuf, whole, rather than as a server may rebuild them.
          const wkt = wellKnownFileOf(type);
          // (Copied: the repairs below change the files they are given.)
          got = wkt ? [clone(FileDescriptorProtoSchema, wkt.proto)] : await client.fileContainingSymbol(type);
          if (got) break;
        }
        if (got) progress = add(got) || progress;
        else missing.push(name);
      }
      if (!progress) {
        if (missing.length) throw new CliError(`the server's reflection does not know the type(s) its descriptors refer to: ${missing.join(", ")}`);
        return;
      }
    }
  };
  const current = () => (registry ??= buildRegistry(files));
  return {
    get source() {
      return `reflection (${client.version ?? "v1"})`;
    },
    listServices: () => client.listServices(),
    async findSymbol(symbol) {
      const name = symbol.replace(/^\./, "");
      const known = fileOfSymbol(current(), name);
      if (known) return known;
      let found = await client.fileContainingSymbol(name);
      if (!found) {
        // A method: ask for its service.
        const dot = name.lastIndexOf(".");
        if (dot > 0) found = await client.fileContainingSymbol(name.slice(0, dot));
        if (!found) return undefined;
      }
      add(found);
      await complete();
      return fileOfSymbol(current(), name);
    },
    registry: () => current(),
    close: () => client.close(),
  };
}

/** A registry of `files`, each built against the others and the well-known types. */
function buildRegistry(files: ReadonlyMap<string, FileDescriptorProto>): FileRegistry & Registry {
  for (const file of files.values()) fillJsonNames(file);
  const all = new Map(files);
  // The well-known types, where the files given do not define them already (a server may send its own copy).
  const defined = new Set([...files.values()].flatMap(topLevelNames));
  for (const [name, file] of wellKnownFiles) {
    if (!all.has(name) && !topLevelNames(file.proto).some((n) => defined.has(n))) all.set(name, file.proto);
  }
  try {
    return createFileRegistry(create(FileDescriptorSetSchema, { file: importsFirst(all.values(), (f) => f.name, (f) => f.dependency.flatMap((name) => all.get(name) ?? [])) }));
  } catch (e) {
    throw new CliError(`the descriptors do not fit together: ${(e as Error).message}`);
  }
}

function fileOfSymbol(registry: FileRegistry & Registry, symbol: string): DescFile | undefined {
  const name = symbol.replace(/^\./, "");
  const direct = registry.get(name);
  if (direct) return direct.file;
  const dot = name.lastIndexOf(".");
  const parent = dot > 0 ? registry.get(name.slice(0, dot)) : undefined;
  if (parent?.kind === "service" && parent.methods.some((m) => m.name === name.slice(dot + 1))) return parent.file;
  return undefined;
}

/** The service named `name` in `schema`, or a CliError that lists the ones there are. */
export async function findService(schema: Schema, name: string): Promise<DescService> {
  const file = await schema.findSymbol(name);
  const service = file ? schema.registry().getService(name) : undefined;
  if (service) return service;
  const services = await schema.listServices();
  throw new CliError(`unknown service "${name}"`, { hint: services.length ? `the server has: ${services.join(", ")}` : "the server lists no services", exitCode: 12 });
}

/**
 * Runs `fn` with the schema's registry; if it fails on a type that is not
 * loaded (the type URL of an `Any`), loads that type and tries again.
 */
export async function withTypes<T>(schema: Schema, fn: (registry: Registry) => T): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return fn(schema.registry());
    } catch (e) {
      const m = /"?([^"\s]+)"? is not in the type registry/.exec((e as Error).message);
      const typeName = m?.[1]?.slice(m[1].lastIndexOf("/") + 1);
      if (!typeName || attempt >= 8 || !(await schema.findSymbol(typeName))) throw e;
    }
  }
}
