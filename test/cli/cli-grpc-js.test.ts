// The tsgrpc command against a grpc-js server with @grpc/reflection and
// grpc-health-check: schema from that reflection (one file per package, no
// imports, relative type names, no json_name: built leniently), all four
// call kinds, health, and a short bench.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startGrpcJsReflectionServer, type GrpcJsPeer } from "../peers/grpc-js-reflection-server.js";
import type { BenchJson } from "../../src/cli/bench/bench-report.js";
import { cli, jsonOut } from "./cli-harness.js";

let peer: GrpcJsPeer;
let target = "";
before(async () => {
  peer = await startGrpcJsReflectionServer();
  target = `127.0.0.1:${peer.port}`;
});
after(() => peer.close());

test("list and describe through @grpc/reflection", { timeout: 30_000 }, async () => {
  const list = await cli(["list", target]);
  assert.equal(list.code, 0, list.err);
  assert.match(list.out, /^peer\.v1\.Notes$/m);
  const methods = await cli(["list", target, "peer.v1.Notes"]);
  assert.deepEqual(methods.out.trim().split("\n"), ["peer.v1.Notes/Put", "peer.v1.Notes/Repeat", "peer.v1.Notes/Collect", "peer.v1.Notes/Echo"]);
  const note = await cli(["describe", target, "peer.v1.Note"]);
  assert.equal(note.code, 0, note.err);
  assert.match(note.out, /\.google\.protobuf\.Timestamp at = 2;/);
  // @grpc/reflection turns `optional string label = 3;` into a oneof of its own: it is shown as sent.
  assert.match(note.out, /oneof _label \{\n    string label = 3;\n  \}/);
  assert.match(note.out, /map<string, int32> counts = 5;\n  \.peer\.v1\.Color color = 6;\n  oneof body \{/);
});

test("calls of all four kinds, with a Timestamp and an optional field", { timeout: 30_000 }, async () => {
  const put = await cli(["call", target, "peer.v1.Notes/Put", "-d", '{"id":"a","at":"2024-01-02T03:04:05Z","label":"x","tags":["p","q"]}']);
  assert.equal(put.code, 0, put.err);
  assert.deepEqual(jsonOut(put.out), [{ id: "a", at: "2024-01-02T03:04:05Z", label: "x", tags: ["p", "q"] }]);
  const rich = await cli(["call", target, "peer.v1.Notes/Put", "-d", '{"id":"m","counts":{"x":1,"y":2},"color":"COLOR_RED","inner":{"big":"12345678901234"}}']);
  assert.deepEqual(jsonOut(rich.out), [{ id: "m", counts: { x: 1, y: 2 }, color: "COLOR_RED", inner: { big: "12345678901234" } }]);
  const repeat = await cli(["call", target, "peer.v1.Notes/Repeat", "-d", '{"id":"r"}']);
  assert.deepEqual(jsonOut(repeat.out).map((n) => n.id), ["r-0", "r-1", "r-2"]);
  const collect = await cli(["call", target, "peer.v1.Notes/Collect", "-d", "@"], '{"id":"a"} {"id":"b","label":""}');
  assert.deepEqual(jsonOut(collect.out), [{ notes: [{ id: "a" }, { id: "b", label: "" }] }]);
  const echo = await cli(["call", target, "peer.v1.Notes/Echo", "-d", "@"], '{"id":"e1"}\n{"id":"e2"}\n');
  assert.deepEqual(jsonOut(echo.out), [{ id: "e1" }, { id: "e2" }]);
  const missing = await cli(["call", target, "peer.v1.Notes/Put", "-d", '{"id":"missing"}']);
  assert.equal(missing.code, 5);
  assert.match(missing.err, /Code: NOT_FOUND\n  Message: no such note/);
  const wrong = await cli(["call", target, "peer.v1.Notes/Nope"]);
  assert.match(wrong.err, /its methods: Put, Repeat, Collect, Echo/);
});

test("health against grpc-health-check, and a short bench", { timeout: 30_000 }, async () => {
  assert.deepEqual(await cli(["health", target]).then((r) => [r.code, r.out]), [0, "SERVING\n"]);
  peer.health.setStatus("peer.v1.Notes", "NOT_SERVING");
  assert.deepEqual(await cli(["health", target, "peer.v1.Notes"]).then((r) => [r.code, r.out]), [1, "NOT_SERVING\n"]);
  peer.health.setStatus("peer.v1.Notes", "SERVING");
  assert.equal((await cli(["health", target, "no.Such"])).code, 5);
  const bench = await cli(["bench", target, "peer.v1.Notes/Put", "-d", '{"id":"b"}', "-n", "50", "-c", "5", "--connections", "2", "--format", "json"]);
  assert.equal(bench.code, 0, bench.err);
  const r = JSON.parse(bench.out) as BenchJson;
  assert.deepEqual([r.count, r.statuses], [50, { OK: 50 }]);
});
