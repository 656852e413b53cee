import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { fillJsonNames, repairDescriptors } from "./descriptor-repair.js";

// What @grpc/reflection 1.0.4 sends: one file per package, no imports, type names as written.
function grpcJsStyle(): Map<string, FileDescriptorProto> {
  const a = create(FileDescriptorProtoSchema, {
    name: "a_v1.proto",
    package: "a.v1",
    syntax: "proto3",
    messageType: [
      {
        name: "Outer",
        field: [
          { name: "inner", number: 1, type: 11, typeName: "Inner" },
          { name: "other", number: 2, type: 11, typeName: "b.Thing" },
          { name: "when", number: 3, type: 11, typeName: "google.protobuf.Timestamp" },
          { name: "self_ref", number: 4, type: 11, typeName: "Outer" },
        ],
        nestedType: [{ name: "Inner", field: [{ name: "up", number: 1, type: 11, typeName: "Outer" }] }],
      },
    ],
    service: [{ name: "S", method: [{ name: "M", inputType: ".a.v1.Outer", outputType: "Outer" }] }],
  });
  const b = create(FileDescriptorProtoSchema, { name: "b.proto", package: "b", syntax: "proto3", messageType: [{ name: "Thing" }] });
  return new Map([[a.name, a], [b.name, b]]);
}

test("type names are qualified by protobuf's scoping rules, and imports added", () => {
  const files = grpcJsStyle();
  const unknown = repairDescriptors(files);
  const a = files.get("a_v1.proto")!;
  const outer = a.messageType[0]!;
  assert.deepEqual(outer.field.map((f) => f.typeName), [".a.v1.Outer.Inner", ".b.Thing", "google.protobuf.Timestamp", ".a.v1.Outer"]);
  assert.equal(outer.nestedType[0]!.field[0]!.typeName, ".a.v1.Outer");
  assert.equal(a.service[0]!.method[0]!.outputType, ".a.v1.Outer");
  assert.deepEqual(a.dependency, ["b.proto"]);
  // Not defined anywhere yet: each place it could be, innermost scope first.
  assert.deepEqual(unknown, [
    { name: "google.protobuf.Timestamp", candidates: ["a.v1.Outer.google.protobuf.Timestamp", "a.v1.google.protobuf.Timestamp", "a.google.protobuf.Timestamp", "google.protobuf.Timestamp"] },
  ]);
});

test("empty json_name becomes the lowerCamelCase name", () => {
  const files = grpcJsStyle();
  const a = files.get("a_v1.proto")!;
  a.messageType[0]!.field[3]!.jsonName = "selfie";
  fillJsonNames(a);
  assert.deepEqual(a.messageType[0]!.field.map((f) => f.jsonName), ["inner", "other", "when", "selfie"]);
});
