// The README's "Testing without a network" example runs as printed: it is
// taken from README.md, pointed at this checkout's sources instead of the
// installed package, and run beside the example service's generated code.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

test("README: the tsgrpc/testing example passes", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("### Testing without a network"));
  const snippet = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(snippet, "the section has a ts example");
  const source = snippet
    .replace('from "tsgrpc";', `from ${JSON.stringify(join(root, "src/index.js"))};`)
    .replace('from "tsgrpc/testing";', `from ${JSON.stringify(join(root, "src/testing/index.js"))};`);
  const file = join(root, "examples/users", `.readme-testing-${process.pid}.test.ts`);
  writeFileSync(file, source);
  try {
    // Without the parent's test-runner context, or the child would not run its own tests.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    // TAP asked for by name: Node 23 and later report in the spec format by default.
    const args = ["--import", "tsx", "--test", "--test-reporter=tap", file];
    const out = execFileSync(process.execPath, args, { cwd: root, env, encoding: "utf8", timeout: 60_000 });
    assert.match(out, /# pass 1\b/);
    assert.match(out, /# fail 0\b/);
  } finally {
    rmSync(file, { force: true });
  }
});
