// A grpc-js server with @grpc/reflection and grpc-health-check: the peer the
// tsgrpc command must work with, quirks included (@grpc/reflection 1.0.4
// sends one synthesized file per package that lists no imports, and renders
// proto3 `optional` as a real oneof).
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation } from "grpc-health-check";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const peerProto = `syntax = "proto3";
package peer.v1;
import "google/protobuf/timestamp.proto";

message Note {
  string id = 1;
  google.protobuf.Timestamp at = 2;
  optional string label = 3;
  repeated string tags = 4;
  map<string, int32> counts = 5;
  Color color = 6;
  oneof body {
    string text = 7;
    Note.Inner inner = 8;
  }
  message Inner {
    int64 big = 1;
  }
}

enum Color {
  COLOR_UNSPECIFIED = 0;
  COLOR_RED = 1;
}

message NoteList {
  repeated Note notes = 1;
}

service Notes {
  rpc Put(Note) returns (Note);
  rpc Repeat(Note) returns (stream Note);
  rpc Collect(stream Note) returns (NoteList);
  rpc Echo(stream Note) returns (stream Note);
}
`;

export interface GrpcJsPeer {
  port: number;
  health: HealthImplementation;
  close(): Promise<void>;
}

type Note = { id?: string; label?: string };

export async function startGrpcJsReflectionServer(): Promise<GrpcJsPeer> {
  const dir = mkdtempSync(join(tmpdir(), "tsgrpc-grpcjs-peer-"));
  const file = join(dir, "peer/v1/notes.proto");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, peerProto);
  const definition = protoLoader.loadSync("peer/v1/notes.proto", { includeDirs: [dir], longs: String, enums: String, defaults: false, oneofs: true });
  rmSync(dir, { recursive: true, force: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { peer: { v1: { Notes: grpc.ServiceClientConstructor } } };
  const server = new grpc.Server();
  server.addService(pkg.peer.v1.Notes.service, {
    put: (call: grpc.ServerUnaryCall<Note, Note>, cb: grpc.sendUnaryData<Note>) => {
      if (call.request.id === "missing") return cb({ code: grpc.status.NOT_FOUND, details: "no such note" });
      cb(null, call.request);
    },
    repeat: (call: grpc.ServerWritableStream<Note, Note>) => {
      for (let i = 0; i < 3; i++) call.write({ ...call.request, id: `${call.request.id}-${i}` });
      call.end();
    },
    collect: (call: grpc.ServerReadableStream<Note, { notes: Note[] }>, cb: grpc.sendUnaryData<{ notes: Note[] }>) => {
      const notes: Note[] = [];
      call.on("data", (n: Note) => notes.push(n));
      call.on("end", () => cb(null, { notes }));
    },
    echo: (call: grpc.ServerDuplexStream<Note, Note>) => {
      call.on("data", (n: Note) => call.write(n));
      call.on("end", () => call.end());
    },
  });
  const health = new HealthImplementation({ "": "SERVING", "peer.v1.Notes": "SERVING" });
  health.addToServer(server);
  new ReflectionService(definition).addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return {
    port,
    health,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
