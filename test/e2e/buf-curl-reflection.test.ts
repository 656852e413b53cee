// buf curl, a reflection client we did not write, calls every method of the
// example server with no schema given: only what our reflection tells it,
// over v1 and over v1alpha.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createUsersServer } from "../../examples/users/users-server.js";

const buf = join(resolve(dirname(fileURLToPath(import.meta.url)), "../.."), "node_modules/.bin/buf");

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(buf, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args], { timeout: 20_000 }, (error, stdout, stderr) =>
      done({ code: error ? Number(error.code ?? -1) : 0, stdout, stderr }),
    );
  });
}

/** buf curl prints each response message as indented JSON; this splits them. */
function messages(stdout: string): unknown[] {
  return stdout.trim() === "" ? [] : stdout.trim().split(/\n(?=\{)/).map((m) => JSON.parse(m) as unknown);
}

test("buf curl calls every example method through our reflection, v1 and v1alpha", { timeout: 60_000 }, async () => {
  const { server } = createUsersServer();
  const { port } = await server.listen("127.0.0.1:0");
  const base = `http://127.0.0.1:${port}`;
  try {
    for (const reflect of ["grpc-v1", "grpc-v1alpha"]) {
      const r = ["--reflect-protocol", reflect];
      const listed = await curl([...r, "--list-methods", base]);
      assert.equal(listed.code, 0, listed.stderr);
      for (const m of ["users.v1.UserService/GetUser", "users.v1.UserService/ListUsers", "users.v1.UserService/CreateUsers", "users.v1.UserService/Chat", "users.v1.FileService/UploadFile", "grpc.health.v1.Health/Watch"]) {
        assert.ok(listed.stdout.split("\n").includes(m), `${reflect}: ${m} not listed`);
      }
      const calls: [string, string, unknown[]][] = [
        ["users.v1.UserService/GetUser", '{"id":"0001"}', [{ user: { id: "0001", name: "ada", email: "ada@example.com" } }]],
        ["users.v1.UserService/ListUsers", '{"pageSize":2}', [{ id: "0001", name: "ada", email: "ada@example.com" }, { id: "0002", name: "grace", email: "grace@example.com" }]],
        ["users.v1.UserService/CreateUsers", '{"name":"x","email":"x@y"} {"name":"z","email":"z@y"}', [{ createdCount: 2 }]],
        ["users.v1.UserService/Chat", '{"from":"a","text":"hi"} {"from":"b","text":"yo"}', [{ from: "server", text: "HI" }, { from: "server", text: "YO" }]],
        ["users.v1.FileService/UploadFile", '{"metadata":{"name":"a.txt","contentType":"text/plain"}} {"chunk":"aGVsbG8="}', [{ bytesReceived: "5" }]],
        ["grpc.health.v1.Health/Check", '{"service":"users.v1.UserService"}', [{ status: "SERVING" }]],
      ];
      const results = await Promise.all(calls.map(([method, data]) => curl([...r, "-d", data, `${base}/${method}`])));
      for (const [i, [method, , want]] of calls.entries()) {
        const res = results[i]!;
        assert.equal(res.code, 0, `${reflect} ${method}: ${res.stderr}`);
        const got = messages(res.stdout) as Record<string, unknown>[];
        assert.equal(got.length, want.length, `${reflect} ${method}: ${res.stdout}`);
        want.forEach((w, i) => {
          for (const [k, v] of Object.entries(w as object)) assert.deepEqual(got[i]![k], v, `${reflect} ${method} #${i}.${k}`);
        });
      }
      const missing = await curl([...r, "-d", '{"id":"nope"}', `${base}/users.v1.UserService/GetUser`]);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stdout + missing.stderr, /not_found/);
    }
  } finally {
    await server.close({ graceMs: 100 });
  }
});
