// The example and the tests compile copies of google/api/{annotations,http}.proto
// (so that buf generate works offline, without the BSR); they must stay the
// files of googleapis, as the npm package google-proto-files ships them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const upstream = dirname(createRequire(import.meta.url).resolve("google-proto-files/package.json"));

test("copies of google/api/*.proto are identical to google-proto-files", () => {
  for (const dir of ["examples/users/proto", "test/proto"]) {
    for (const file of ["google/api/annotations.proto", "google/api/http.proto"]) {
      assert.equal(readFileSync(join(root, dir, file), "utf8"), readFileSync(join(upstream, file), "utf8"), `${dir}/${file}`);
    }
  }
});
