import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { CliError } from "./cli-error.js";

/**
 * Compiles `.proto` files to descriptors with `buf` (from PATH or the
 * project's node_modules/.bin), or `protoc` if there is no buf. `protos` are
 * paths relative to an import path (or paths on disk inside one); import
 * paths default to the current folder. The well-known types come with both
 * compilers.
 */
export function compileProtos(protos: readonly string[], importPaths: readonly string[]): FileDescriptorProto[] {
  const roots = (importPaths.length ? importPaths : ["."]).map((p) => resolve(p));
  for (const root of roots) if (!existsSync(root)) throw new CliError(`--import-path ${root} does not exist`);
  const names = protos.map((p) => protoName(p, roots));
  const buf = findTool("buf");
  const protoc = buf ? undefined : findTool("protoc");
  if (!buf && !protoc) {
    throw new CliError("--proto needs buf or protoc to compile the files, and neither is installed", {
      hint: "npm i -D @bufbuild/buf (or install protoc), or give a compiled --protoset (buf build -o image.binpb)",
    });
  }
  const tmp = mkdtempSync(join(tmpdir(), "tsgrpc-cli-"));
  try {
    const out = join(tmp, "image.binpb");
    if (buf) {
      // One buf workspace whose modules are the import paths (linked in).
      const modules = roots.map((root, i) => {
        symlinkSync(root, join(tmp, `m${i}`), "dir");
        return `  - path: m${i}`;
      });
      writeFileSync(join(tmp, "buf.yaml"), `version: v2\nmodules:\n${modules.join("\n")}\n`);
      const paths = names.flatMap(({ name, root }) => ["--path", `m${roots.indexOf(root)}/${name}`]);
      run(buf, ["build", tmp, "--exclude-source-info", "-o", out, ...paths], tmp);
    } else {
      run(protoc!, [...roots.map((r) => `-I${r}`), "--include_imports", `--descriptor_set_out=${out}`, ...names.map((n) => n.name)], process.cwd());
    }
    return fromBinary(FileDescriptorSetSchema, readFileSync(out)).file;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function protoName(proto: string, roots: string[]): { name: string; root: string } {
  for (const root of roots) {
    const abs = isAbsolute(proto) ? proto : resolve(proto);
    const rel = relative(root, abs);
    if (existsSync(abs) && !rel.startsWith("..") && !isAbsolute(rel)) return { name: rel.split(sep).join("/"), root };
  }
  for (const root of roots) if (existsSync(join(root, proto))) return { name: proto.split(sep).join("/"), root };
  throw new CliError(`--proto ${proto}: not found in the import paths (${roots.join(", ")})`, { hint: "give --import-path (-I) the folder that imports are relative to" });
}

function run(file: string, args: string[], cwd: string): void {
  try {
    execFileSync(file, args, { cwd, stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new CliError(`compiling the .proto files failed:\n${err.stderr?.toString().trim() || err.message}`);
  }
}

function findTool(name: string): string | undefined {
  const dirs = [join(process.cwd(), "node_modules", ".bin"), ...(process.env.PATH ?? "").split(delimiter)];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}
