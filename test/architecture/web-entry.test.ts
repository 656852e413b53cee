// tsgrpc/web runs in browsers: nothing it reaches may load a Node module or
// use Node's globals. The test follows every import from the entry (type-only
// imports vanish at build time and are skipped) and checks each file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const src = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

/** Every file the entry reaches by value imports, with the Node things each uses. */
function reach(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(file, "utf8");
    const problems: string[] = [];
    seen.set(file, problems);
    for (const m of text.matchAll(/^(import|export)(?!\s+type\b)[^;]*?from\s+["']([^"']+)["']/gm)) {
      const target = m[2]!;
      if (target.startsWith("node:")) problems.push(`imports ${target}`);
      else if (target.startsWith(".")) visit(resolve(dirname(file), target).replace(/\.js$/, ".ts"));
    }
    const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    // base64.ts uses Node's Buffer only when the global exists, and plain code otherwise.
    if (/\bBuffer\b/.test(code.replace(/^import type.*$/gm, "")) && !file.endsWith("internal/base64.ts")) problems.push("uses Buffer");
    if (/\bprocess\./.test(code)) problems.push("uses process");
    if (/\bsetImmediate\b/.test(code)) problems.push("uses setImmediate");
  };
  visit(entry);
  return seen;
}

test("tsgrpc/web reaches no Node module and no Node global", () => {
  const files = reach(resolve(src, "web/index.ts"));
  assert.ok(files.size > 10, "the walk found the entry's imports");
  const bad = [...files].filter(([, p]) => p.length > 0).map(([f, p]) => `${relative(src, f)}: ${p.join(", ")}`);
  assert.deepEqual(bad, []);
});
