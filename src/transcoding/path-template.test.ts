import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parsePathTemplate, PathTemplateError } from "./path-template.js";

test("templates parse into segments, variables and verb", () => {
  const table: [string, string, string, string | undefined][] = [
    // template, segments (l:literal *, **), variables (path@start-end), verb
    ["/", "", "", undefined],
    ["/v1/messages/{message_id}", "l:v1 l:messages *", "message_id@2-3", undefined],
    ["/v1/{name=messages/*}", "l:v1 l:messages *", "name@1-3", undefined],
    ["/v1/{name=projects/*/users/*}", "l:v1 l:projects * l:users *", "name@1-5", undefined],
    ["/v1/users/{user.id}/messages/{message_id}", "l:v1 l:users * l:messages *", "user.id@2-3 message_id@4-5", undefined],
    ["/v1/{name=operations/**}:cancel", "l:v1 l:operations **", "name@1--1", "cancel"],
    ["/v1/*/things/**", "l:v1 * l:things **", "", undefined],
    ["/v1/{a=**}", "l:v1 **", "a@1--1", undefined],
    ["/v1:batchGet", "l:v1", "", "batchGet"],
    ["/v1/caf%C3%A9", "l:v1 l:café", "", undefined],
  ];
  for (const [source, segments, variables, verb] of table) {
    const t = parsePathTemplate(source);
    const segs = t.segments.map((s) => (s.kind === "literal" ? `l:${s.value}` : s.kind === "wildcard" ? "*" : "**")).join(" ");
    assert.equal(segs, segments, source);
    assert.equal(t.variables.map((v) => `${v.fieldPath.join(".")}@${v.start}-${v.end}`).join(" "), variables, source);
    assert.equal(t.verb, verb, source);
  }
});

test("bad templates are refused with the position and the rule", () => {
  const bad: [string, RegExp][] = [
    ["", /must start with '\/'/],
    ["v1/users", /must start with '\/'/],
    ["/v1//users", /empty segment|unexpected '\/'/],
    ["/v1/users/", /empty segment/],
    ["/v1/{id", /expected '}'/],
    ["/v1/{}", /expected a field name/],
    ["/v1/{1d}", /expected a field name/],
    ["/v1/{a={b}}", /must not contain another variable/],
    ["/v1/**/x", /'\*\*' must be the last segment/],
    ["/v1/{a=**}/x", /'\*\*' must be the last segment/],
    ["/v1/{id}/{id}", /bound twice/],
    ["/v1/users:", /empty verb/],
    ["/v1/a%zz", /bad percent-encoding/],
    ["/v1/a b", /unexpected ' '/],
    ["/v1/{id}?x=1", /unexpected '\?'/],
    ["/v1/x:a:b", /unexpected ':'/],
  ];
  for (const [source, message] of bad) {
    assert.throws(() => parsePathTemplate(source), (e: unknown) => e instanceof PathTemplateError && message.test(e.message), source);
  }
});

test("property: any string either parses or throws a PathTemplateError, quickly", () => {
  const pieces = fc.constantFrom("/", "*", "**", "{", "}", "=", ":", ".", "a", "b1", "_x", "%2F", "%", "v1", " ", "?");
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.array(pieces, { maxLength: 30 }).map((a) => a.join(""))), (s) => {
      try {
        const t = parsePathTemplate(s);
        assert.ok(t.segments.length < 40);
        for (const v of t.variables) assert.ok(v.start >= 0 && (v.end === -1 || v.end <= t.segments.length));
      } catch (e) {
        assert.ok(e instanceof PathTemplateError, String(e));
      }
    }),
    { numRuns: 2000 },
  );
});
