import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parsePathTemplate } from "./path-template.js";
import { RouteTable, type RouteMatch } from "./route-table.js";

function table(routes: [string, string][]): RouteTable<string> {
  const t = new RouteTable<string>();
  for (const [m, p] of routes) t.add({ httpMethod: m, template: parsePathTemplate(p), value: `${m} ${p}` }, (v) => v);
  return t;
}

const routes: [string, string][] = [
  ["GET", "/v1/users/{id}"],
  ["GET", "/v1/users"],
  ["POST", "/v1/users"],
  ["GET", "/v1/users:search"],
  ["GET", "/v1/users/{id}/messages/{message_id}"],
  ["GET", "/v1/{name=projects/*/users/*}"],
  ["GET", "/v1/files/{path=**}"],
  ["POST", "/v1/{name=operations/**}:cancel"],
  ["GET", "/v1/users/me"],
  ["GET", "/"],
];

test("paths match the most specific route, with decoded variables", () => {
  const t = table(routes);
  const cases: [string, string, string | undefined, string[]][] = [
    ["GET", "/v1/users/42", "GET /v1/users/{id}", ["42"]],
    ["GET", "/v1/users/me", "GET /v1/users/me", []],
    ["GET", "/v1/users", "GET /v1/users", []],
    ["POST", "/v1/users", "POST /v1/users", []],
    ["GET", "/v1/users:search", "GET /v1/users:search", []],
    ["GET", "/v1/users/42/messages/7", "GET /v1/users/{id}/messages/{message_id}", ["42", "7"]],
    ["GET", "/v1/projects/p1/users/u2", "GET /v1/{name=projects/*/users/*}", ["projects/p1/users/u2"]],
    // Single-segment variables decode everything, %2F included.
    ["GET", "/v1/users/a%2Fb%20c", "GET /v1/users/{id}", ["a/b c"]],
    ["GET", "/v1/users/caf%C3%A9", "GET /v1/users/{id}", ["café"]],
    // Multi-segment variables keep %2F (either case) as it is.
    ["GET", "/v1/projects/a%2Fb/users/c%20d", "GET /v1/{name=projects/*/users/*}", ["projects/a%2Fb/users/c d"]],
    ["GET", "/v1/files/a/b%2fc/d", "GET /v1/files/{path=**}", ["a/b%2fc/d"]],
    ["GET", "/v1/files", "GET /v1/files/{path=**}", [""]],
    ["POST", "/v1/operations/o1/o2:cancel", "POST /v1/{name=operations/**}:cancel", ["operations/o1/o2"]],
    // A ':' that is no known verb is part of the segment.
    ["GET", "/v1/users/a:b", "GET /v1/users/{id}", ["a:b"]],
    // Literals match their percent-encoded forms.
    ["GET", "/%761/users/me", "GET /v1/users/me", []],
    ["GET", "/", "GET /", []],
  ];
  for (const [method, path, route, values] of cases) {
    const m = t.match(method, path) as RouteMatch<string>;
    assert.equal("route" in m ? m.route.value : JSON.stringify(m), route, `${method} ${path}`);
    assert.deepEqual(m.values, values, `${method} ${path}`);
  }
});

test("misses say why: no route, another method, a malformed path", () => {
  const t = table(routes);
  assert.deepEqual(t.match("GET", "/v2/users"), { kind: "not-found" });
  assert.deepEqual(t.match("GET", "/v1/users/"), { kind: "not-found" });
  assert.deepEqual(t.match("GET", "/v1/users/1/2"), { kind: "not-found" });
  assert.deepEqual(t.match("DELETE", "/v1/users"), { kind: "method-not-allowed", allow: ["GET", "POST"] });
  assert.deepEqual(t.match("GET", "/v1/operations/x:cancel"), { kind: "method-not-allowed", allow: ["POST"] });
  assert.equal(t.match("GET", "/v1/users/%zz").kind, "bad-path");
  assert.equal(t.match("GET", "/v1/users/%C3").kind, "bad-path");
  assert.equal(t.match("GET", "*").kind, "bad-path");
});

test("routes that match the same paths with the same method are refused", () => {
  const conflicts: [string, string][] = [
    ["/v1/users/{id}", "/v1/users/{name}"],
    ["/v1/users/{id}", "/v1/users/*"],
    ["/v1/{name=users/*}", "/v1/users/{id}"],
    ["/v1/{a=**}", "/v1/**"],
    ["/v1/x:do", "/v1/{x=x}:do"],
  ];
  for (const [a, b] of conflicts) {
    assert.throws(() => table([["GET", a], ["GET", b]]), /conflicting HTTP routes: GET .* matches the same paths as GET/, `${a} vs ${b}`);
    assert.doesNotThrow(() => table([["GET", a], ["POST", b]]));
  }
  assert.doesNotThrow(() => table([["GET", "/v1/x:do"], ["GET", "/v1/x:undo"], ["GET", "/v1/x"]]));
});

test("property: matching any path never throws and returns a route whose template fits", () => {
  const t = table(routes);
  const segment = fc.oneof(fc.constantFrom("v1", "users", "me", "projects", "files", "operations", "a:cancel", "%2F", "%", "%C3", "", ":search"), fc.string({ maxLength: 6 }));
  fc.assert(
    fc.property(fc.constantFrom("GET", "POST", "PUT"), fc.array(segment, { maxLength: 12 }), (method, segs) => {
      const path = "/" + segs.join("/");
      const m = t.match(method, path);
      if ("route" in m) {
        assert.equal(m.route.httpMethod, method);
        assert.equal(m.values.length, m.route.template.variables.length);
      }
    }),
    { numRuns: 3000 },
  );
});

test("many routes: lookups walk the trie, not a list", () => {
  const t = new RouteTable<number>();
  for (let i = 0; i < 2000; i++) t.add({ httpMethod: "GET", template: parsePathTemplate(`/v1/r${i}/{id}/x${i % 7}`), value: i }, String);
  assert.equal(t.size, 2000);
  const m = t.match("GET", "/v1/r1999/abc/x4") as RouteMatch<number>;
  assert.equal(m.route.value, 1999);
  assert.deepEqual(m.values, ["abc"]);
});
