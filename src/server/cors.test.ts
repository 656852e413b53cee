import { test } from "node:test";
import assert from "node:assert/strict";
import { createCorsPolicy } from "./cors.js";

const preflight = (origin: string) => ({ origin, "access-control-request-method": "POST" });

test("listed origins: preflight answers, response headers, case and trailing slash", () => {
  const cors = createCorsPolicy({ allowedOrigins: ["https://App.example.com/"], allowedHeaders: ["X-Trace"], exposedHeaders: ["x-out"], maxAgeSeconds: 60 });
  assert.equal(cors.isPreflight("OPTIONS", preflight("https://app.example.com")), true);
  assert.equal(cors.isPreflight("OPTIONS", { origin: "https://app.example.com" }), false, "no Access-Control-Request-Method: not a preflight");
  assert.equal(cors.isPreflight("POST", preflight("https://app.example.com")), false);
  const ok = cors.preflight(preflight("https://app.example.com"));
  assert.equal(ok.status, 204);
  assert.equal(ok.headers["access-control-allow-origin"], "https://app.example.com");
  assert.equal(ok.headers["access-control-max-age"], "60");
  assert.ok(ok.headers["access-control-allow-headers"]!.split(", ").includes("x-trace"));
  assert.equal(ok.headers["access-control-allow-credentials"], undefined);
  assert.equal(cors.preflight(preflight("https://evil.example")).status, 403);
  const res = cors.responseHeaders({ origin: "https://app.example.com" });
  assert.ok(res["access-control-expose-headers"]!.split(", ").includes("x-out"));
  assert.ok(res["access-control-expose-headers"]!.split(", ").includes("grpc-status-details-bin"));
  assert.deepEqual(cors.responseHeaders({}), { vary: "Origin" });
});

test("any origin, a function, credentials", () => {
  assert.equal(createCorsPolicy({ allowedOrigins: "*" }).responseHeaders({ origin: "http://x" })["access-control-allow-origin"], "*");
  const fn = createCorsPolicy({ allowedOrigins: (o) => o.endsWith(".example.com"), allowCredentials: true });
  const h = fn.responseHeaders({ origin: "https://a.example.com" });
  assert.equal(h["access-control-allow-origin"], "https://a.example.com");
  assert.equal(h["access-control-allow-credentials"], "true");
  assert.deepEqual(fn.responseHeaders({ origin: "https://example.org" }), { vary: "Origin" });
});

test("bad options are TypeErrors", () => {
  for (const bad of [
    { allowedOrigins: "*", allowCredentials: true },
    { allowedOrigins: [1] },
    { allowedOrigins: ["x"], allowedHeaders: ["bad header"] },
    { allowedOrigins: ["x"], maxAgeSeconds: -1 },
    undefined,
  ]) {
    assert.throws(() => createCorsPolicy(bad as never), TypeError, JSON.stringify(bad));
  }
});
