import { test } from "node:test";
import assert from "node:assert/strict";
import { importsFirst } from "./imports-first.js";

const graph: Record<string, string[]> = { app: ["api", "time"], api: ["http", "desc"], http: [], desc: [], time: [], loop1: ["loop2"], loop2: ["loop1"] };
const walk = (roots: string[], seen?: Set<string>) => importsFirst(roots, (f) => f, (f) => graph[f]!, seen);

test("each file after its imports, each once", () => {
  assert.deepEqual(walk(["app"]), ["http", "desc", "api", "time", "app"]);
  assert.deepEqual(walk(["time", "app", "api"]), ["time", "http", "desc", "api", "app"]);
});

test("files already seen are left out, and the walk adds what it places", () => {
  const seen = new Set(["api"]);
  assert.deepEqual(walk(["app"], seen), ["time", "app"]);
  assert.deepEqual([...seen].sort(), ["api", "app", "time"]);
  assert.deepEqual(walk(["api", "app"], seen), []);
});

test("an import cycle ends", () => {
  assert.deepEqual(walk(["loop1"]), ["loop2", "loop1"]);
});
