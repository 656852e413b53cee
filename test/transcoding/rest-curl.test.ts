// The README's curl commands against the example UserService, with the
// real curl (Debian's package; .ci/run installs it), over HTTP/1.1 and
// HTTP/2 (prior knowledge) on the port that also serves gRPC.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { createChannel, createClient, createServer } from "../../src/index.js";
import { UserService } from "../../examples/users/gen/users/v1/users_pb.js";
import { createUserStore, userService } from "../../examples/users/user-service.js";
import { assertNoLeaks } from "../e2e/leak-check.js";

const run = promisify(execFile);

async function curl(...args: string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await run("curl", ["-sS", "--max-time", "5", "-w", "\n%{http_code}", ...args], { timeout: 10_000 });
  const cut = stdout.lastIndexOf("\n");
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}

const hasCurl = spawnSync("curl", ["--version"]).status === 0;

test("curl calls the example's REST routes; gRPC answers on the same port", { skip: hasCurl ? false : "curl is not installed (CI installs it)" }, async () => {
  const server = createServer().service(UserService, userService(createUserStore()));
  const { port } = await server.listen("127.0.0.1:0");
  const base = `http://127.0.0.1:${port}`;
  try {
    for (const http of ["--http1.1", "--http2-prior-knowledge"]) {
      const one = await curl(http, `${base}/v1/users/0001`);
      assert.equal(one.status, 200, http);
      assert.deepEqual(JSON.parse(one.body), { user: { id: "0001", name: "ada", email: "ada@example.com" } });
      const page = await curl(http, `${base}/v1/users?page_size=2&page_token=0003`);
      assert.deepEqual(page.body.trimEnd().split("\n").map((l) => JSON.parse(l).result.id), ["0004", "0005"]);
      // curl -d sends application/x-www-form-urlencoded unless told: the body is read as JSON all the same.
      const created = await curl(http, "-X", "POST", `${base}/v1/users`, "-d", '{"name":"margaret","email":"mh@example.com"}');
      assert.equal(created.status, 200, http);
      const user = JSON.parse(created.body);
      assert.equal(user.name, "margaret");
      const back = await curl(http, `${base}/v1/users/${user.id}`);
      assert.equal(JSON.parse(back.body).user.email, "mh@example.com");
      const missing = await curl(http, `${base}/v1/users/9999`);
      assert.equal(missing.status, 404);
      assert.deepEqual(JSON.parse(missing.body), { code: 5, message: "user 9999 not found", details: [] });
      const invalid = await curl(http, "-X", "POST", `${base}/v1/users`, "-H", "content-type: application/json", "-d", "{}");
      assert.equal(invalid.status, 400);
      assert.equal(JSON.parse(invalid.body).code, 3);
    }
    const channel = createChannel(base);
    const res = await createClient(UserService, channel).getUser({ id: "0002" });
    assert.equal(res.user?.name, "grace");
    channel.close();
  } finally {
    await server.close({ graceMs: 500 });
  }
  await assertNoLeaks();
});
