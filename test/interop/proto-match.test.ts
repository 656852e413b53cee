// Checks that our interop protos (proto/grpc/testing, proto/grpc/core) describe
// the same wire schema as gRPC's own copies vendored in third_party/grpc-protos: same
// packages, imports, messages, fields (names, numbers, labels, types), enums,
// oneofs and services. Comments, source info and file-level options
// (java_package and friends) are ignored.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { create, fromBinary, isFieldSet, toJson } from "@bufbuild/protobuf";
import {
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  FieldDescriptorProtoSchema,
  type FileDescriptorProto,
} from "@bufbuild/protobuf/wkt";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const upstreamRoot = join(repoRoot, "third_party/grpc-protos");
const buf = join(repoRoot, "node_modules/.bin/buf");

function buildImage(dir: string, paths: string[], out: string): FileDescriptorProto[] {
  const args = ["build", dir, "--exclude-source-info", "-o", out];
  for (const p of paths) args.push("--path", p);
  execFileSync(buf, args, { cwd: repoRoot, stdio: ["ignore", "ignore", "pipe"] });
  return fromBinary(FileDescriptorSetSchema, readFileSync(out)).file;
}

/** The file descriptor as JSON, without file-level options. */
function normalize(file: FileDescriptorProto): unknown {
  const copy = create(FileDescriptorProtoSchema, { ...file, options: undefined });
  return toJson(FileDescriptorProtoSchema, copy);
}

test("interop protos match upstream's", () => {
  const tmp = mkdtempSync(join(tmpdir(), "tsgrpc-proto-match-"));
  try {
    // Upstream's stats.proto imports grpc/core/stats.proto, which is not
    // vendored; build it against ours (it is compared on its own below).
    const up = join(tmp, "upstream");
    mkdirSync(join(up, "grpc/core"), { recursive: true });
    cpSync(join(upstreamRoot, "grpc/testing"), join(up, "grpc/testing"), { recursive: true });
    cpSync(join(repoRoot, "proto/grpc/core/stats.proto"), join(up, "grpc/core/stats.proto"));
    const theirs = buildImage(up, [join(up, "grpc/testing")], join(tmp, "upstream.binpb"));
    const ours = buildImage(
      join(repoRoot, "proto"),
      [join(repoRoot, "proto/grpc/testing"), join(repoRoot, "proto/grpc/core")],
      join(tmp, "ours.binpb"),
    );

    const upstreamFiles = readdirSync(join(upstreamRoot, "grpc/testing"))
      .filter((f) => f.endsWith(".proto"))
      .map((f) => `grpc/testing/${f}`)
      .sort();
    assert.ok(upstreamFiles.length >= 6, "expected the upstream interop protos");
    for (const name of upstreamFiles) {
      const a = ours.find((f) => f.name === name);
      const b = theirs.find((f) => f.name === name);
      assert.ok(a, `we lack ${name}`);
      assert.ok(b, `upstream image lacks ${name}`);
      assert.deepEqual(normalize(a), normalize(b), `${name} differs from upstream`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test("grpc/core/stats.proto has the upstream shape", () => {
  // No upstream copy is vendored; pin the wire shape gRPC uses.
  const tmp = mkdtempSync(join(tmpdir(), "tsgrpc-proto-match-"));
  try {
    const [file] = buildImage(
      join(repoRoot, "proto"),
      [join(repoRoot, "proto/grpc/core/stats.proto")],
      join(tmp, "core.binpb"),
    );
    assert.ok(file);
    assert.equal(file.package, "grpc.core");
    const shape = file.messageType.map((m) => [
      m.name,
      m.field.map((f) => `${f.name}=${f.number}:${f.type}:${f.label}:${f.typeName}:${isFieldSet(f, FieldDescriptorProtoSchema.field.oneofIndex) ? f.oneofIndex : "-"}`),
    ]);
    assert.deepEqual(shape, [
      ["Bucket", ["start=1:1:1::-", "count=2:4:1::-"]],
      ["Histogram", ["buckets=1:11:3:.grpc.core.Bucket:-"]],
      ["Metric", ["name=1:9:1::-", "count=10:4:1::0", "histogram=11:11:1:.grpc.core.Histogram:0"]],
      ["Stats", ["metrics=1:11:3:.grpc.core.Metric:-"]],
    ]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test("health and reflection protos match upstream's", () => {
  const tmp = mkdtempSync(join(tmpdir(), "tsgrpc-proto-match-"));
  try {
    const names = ["grpc/health/v1/health.proto", "grpc/reflection/v1/reflection.proto", "grpc/reflection/v1alpha/reflection.proto"];
    const theirs = buildImage(upstreamRoot, names.map((n) => join(upstreamRoot, n)), join(tmp, "upstream.binpb"));
    const ours = buildImage(join(repoRoot, "proto"), names.map((n) => join(repoRoot, "proto", n)), join(tmp, "ours.binpb"));
    for (const name of names) {
      const a = ours.find((f) => f.name === name);
      const b = theirs.find((f) => f.name === name);
      assert.ok(a && b, `${name} missing`);
      assert.deepEqual(normalize(a), normalize(b), `${name} differs from upstream`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
