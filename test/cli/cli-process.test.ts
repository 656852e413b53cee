// The tsgrpc command as a process: exit codes reach the shell, `-d @` reads
// standard input as it arrives (a reply comes back before the input ends),
// and `health --watch` stops cleanly on Ctrl-C.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Server } from "../../src/index.js";
import { createUsersServer } from "../../examples/users/users-server.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function tsgrpc(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli/main.ts"), ...args], { cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const exited = once(child, "exit").then(([code]) => {
    clearTimeout(killer);
    return code as number;
  });
  const waitFor = async (re: RegExp) => {
    for (let i = 0; i < 2000 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 10));
    assert.match(out, re);
  };
  return { child, exited, waitFor, output: () => ({ out, err }) };
}

let server: Server;
let target = "";
before(async () => {
  ({ server } = createUsersServer());
  target = `127.0.0.1:${(await server.listen("127.0.0.1:0")).port}`;
});
after(() => server.close({ graceMs: 100 }));

test("the process exits with the call's status code", { timeout: 40_000 }, async () => {
  // (Every status and usage error is checked in process by cli.test.ts; this checks that the code reaches the shell.)
  const notFound = tsgrpc(["call", target, "users.v1.UserService/GetUser", "-d", '{"id":"none"}']);
  assert.equal(await notFound.exited, 5);
  assert.match(notFound.output().err, /Code: NOT_FOUND\n  Message: user none not found/);
});

test("-d @ streams standard input: each reply arrives before the input ends", { timeout: 40_000 }, async () => {
  const chat = tsgrpc(["call", target, "users.v1.UserService/Chat", "-d", "@"]);
  const watch = tsgrpc(["health", target, "users.v1.UserService", "--watch"]);
  chat.child.stdin.write('{"text":"first"}\n');
  await chat.waitFor(/"text": "FIRST"/);
  chat.child.stdin.write('{"text":"sec');
  chat.child.stdin.write('ond"}\n');
  await chat.waitFor(/"text": "SECOND"/);
  chat.child.stdin.end();
  assert.equal(await chat.exited, 0, chat.output().err);
  await watch.waitFor(/SERVING/);
  watch.child.kill("SIGINT");
  assert.equal(await watch.exited, 0, watch.output().err);
});
