// `buf curl` (the Buf CLI's Connect-Go client) against a tsgrpc server, by
// the Connect protocol and by gRPC-Web, over HTTP/1.1 and HTTP/2, with the
// example's .proto files as the schema: unary, server streaming, bidi, and
// errors as buf curl reports them.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer, type Server } from "../../src/index.js";
import { UserService } from "../../examples/users/gen/users/v1/users_pb.js";
import { createUserStore, userService } from "../../examples/users/user-service.js";
import { assertNoLeaks } from "../e2e/leak-check.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const buf = resolve(root, "node_modules/.bin/buf");

function bufCurl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(buf, ["curl", "--schema", resolve(root, "examples/users/proto"), ...args], { cwd: root, timeout: 30_000, env: { ...process.env, BUF_CACHE_DIR: resolve(root, "node_modules/.cache/buf") } }, (error, stdout, stderr) =>
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** buf curl prints each response message as a JSON document. */
function documents(text: string): unknown[] {
  return text
    .trim()
    .split(/\n(?=\{)/)
    .filter(Boolean)
    .map((t) => JSON.parse(t));
}

describe("buf curl against a tsgrpc server", () => {
  let server: Server;
  let url: string;

  before(async () => {
    server = createServer().service(UserService, userService(createUserStore()));
    const { port } = await server.listen("127.0.0.1:0");
    url = `http://127.0.0.1:${port}/users.v1.UserService`;
  });

  after(async () => {
    await server.close({ graceMs: 100 });
    await assertNoLeaks();
  });

  for (const protocol of ["connect", "grpcweb"]) {
    for (const http2 of [false, true]) {
      const flags = ["--protocol", protocol, ...(http2 ? ["--http2-prior-knowledge"] : [])];
      const name = `${protocol} over ${http2 ? "HTTP/2" : "HTTP/1.1"}`;

      test(`${name}: unary and server streaming`, async () => {
        const one = await bufCurl([...flags, "-d", '{"id":"0001"}', `${url}/GetUser`]);
        assert.equal(one.code, 0, one.stderr);
        assert.deepEqual(documents(one.stdout), [{ user: { id: "0001", name: "ada", email: "ada@example.com" } }]);
        const many = await bufCurl([...flags, "-d", '{"pageSize":3}', `${url}/ListUsers`]);
        assert.equal(many.code, 0, many.stderr);
        assert.deepEqual(
          documents(many.stdout).map((u) => (u as { id: string }).id),
          ["0001", "0002", "0003"],
        );
      });

      test(`${name}: an error`, async () => {
        const r = await bufCurl([...flags, "-d", '{"id":"9999"}', `${url}/GetUser`]);
        assert.notEqual(r.code, 0);
        assert.deepEqual(JSON.parse(r.stderr), { code: "not_found", message: "user 9999 not found" });
      });
    }
  }

  test("connect over HTTP/2: bidirectional streaming", async () => {
    const r = await bufCurl(["--protocol", "connect", "--http2-prior-knowledge", "-d", '{"text":"hi"} {"text":"there"}', `${url}/Chat`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(documents(r.stdout), [
      { from: "server", text: "HI" },
      { from: "server", text: "THERE" },
    ]);
  });
});
