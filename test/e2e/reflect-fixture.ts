// A service whose file imports well-known types, google/api/annotations.proto
// and proto2 files with extensions, built with buf at test time and loaded
// as dynamic descriptors (what reflection must describe, imports and all).
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createFileRegistry, fromBinary, type DescService, type FileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export const reflectFixtureProtos: Record<string, string> = {
  "reflect/test/v1/base.proto": `syntax = "proto2";
package reflect.test.v1;
message Extendable {
  optional string id = 1;
  extensions 100 to 199;
}
extend Extendable {
  optional string note = 100;
}
`,
  "reflect/test/v1/more.proto": `syntax = "proto2";
package reflect.test.v1;
import "reflect/test/v1/base.proto";
extend Extendable {
  optional int32 level = 101;
}
`,
  "reflect/test/v1/events.proto": `syntax = "proto3";
package reflect.test.v1;
import "google/api/annotations.proto";
import "google/protobuf/descriptor.proto";
import "google/protobuf/timestamp.proto";
import "reflect/test/v1/more.proto";

extend google.protobuf.MethodOptions {
  string audit = 50001;
}

message Event {
  enum Kind {
    KIND_UNSPECIFIED = 0;
    KIND_ALARM = 1;
  }
  string id = 1;
  google.protobuf.Timestamp at = 2;
  Kind kind = 3;
  optional string note = 4;
  oneof body {
    string text = 5;
    int64 code = 6;
  }
}

service Events {
  rpc GetEvent(Event) returns (Event) {
    option (google.api.http) = { get: "/v1/events/{id}" };
    option (audit) = "on";
  }
  rpc Follow(Event) returns (stream Event);
}
`,
  "reflect/test/v1/envelope.proto": `syntax = "proto3";
package reflect.test.v1;
import "google/protobuf/any.proto";
message Envelope {
  google.protobuf.Any body = 1;
}
service Envelopes {
  rpc Open(Envelope) returns (Envelope);
}
`,
  // Imported by nothing: a client learns of it only from an Any's type URL.
  "reflect/test/v1/secret.proto": `syntax = "proto3";
package reflect.test.v1;
message Secret {
  string code = 1;
}
`,
};

/** The protos above written to a new folder (with google/api from google-proto-files), and compiled. */
export function buildReflectFixture(): { registry: FileRegistry; events: DescService; protoDir: string; descriptorSet: Uint8Array; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "tsgrpc-reflect-"));
  for (const [name, text] of Object.entries(reflectFixtureProtos)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  mkdirSync(join(dir, "google/api"), { recursive: true });
  for (const f of ["annotations.proto", "http.proto"]) {
    cpSync(join(repoRoot, "node_modules/google-proto-files/google/api", f), join(dir, "google/api", f));
  }
  const out = join(dir, "image.binpb");
  execFileSync(join(repoRoot, "node_modules/.bin/buf"), ["build", dir, "--exclude-source-info", "-o", out], { stdio: ["ignore", "ignore", "pipe"] });
  const descriptorSet = readFileSync(out);
  rmSync(out);
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSet));
  const events = registry.getService("reflect.test.v1.Events");
  if (!events) throw new Error("fixture lacks reflect.test.v1.Events");
  return { registry, events, protoDir: dir, descriptorSet, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
