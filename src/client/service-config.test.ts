import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Code } from "../status/code.js";
import { parseServiceConfig } from "./service-config.js";

const retryPolicy = { maxAttempts: 3, initialBackoff: "0.1s", maxBackoff: "1s", backoffMultiplier: 2, retryableStatusCodes: ["UNAVAILABLE"] };

function refuses(config: unknown, path: string | RegExp): void {
  assert.throws(
    () => parseServiceConfig(config),
    (e: unknown) => {
      assert.ok(e instanceof TypeError, `expected a TypeError, got ${String(e)}`);
      if (typeof path === "string") assert.ok(e.message.startsWith(`${path}:`), `"${e.message}" does not start with ${path}`);
      else assert.match(e.message, path);
      return true;
    },
  );
}

test("an empty config has no settings for any method", () => {
  const c = parseServiceConfig({});
  assert.equal(c.methodSettings("a.B", "C"), undefined);
  assert.deepEqual(c.loadBalancingConfig, []);
  assert.equal(c.retryThrottling, undefined);
});

test("the most specific name wins: method, then service, then the default", () => {
  const c = parseServiceConfig({
    methodConfig: [
      { name: [{}], timeout: "1s" },
      { name: [{ service: "pkg.S" }], timeout: "2s" },
      { name: [{ service: "pkg.S", method: "M" }, { service: "pkg.T", method: "" }], timeout: "3s" },
    ],
  });
  assert.equal(c.methodSettings("pkg.S", "M")?.timeoutMs, 3000);
  assert.equal(c.methodSettings("pkg.S", "N")?.timeoutMs, 2000);
  assert.equal(c.methodSettings("pkg.T", "X")?.timeoutMs, 3000);
  assert.equal(c.methodSettings("other.U", "M")?.timeoutMs, 1000);
});

test("null and empty method or service names mean absent (proto3 JSON)", () => {
  const c = parseServiceConfig({ methodConfig: [{ name: [{ service: "s", method: null }], waitForReady: true }] });
  assert.equal(c.methodSettings("s", "x")?.waitForReady, true);
  refuses({ methodConfig: [{ name: [{ service: "s" }] }, { name: [{ service: "s", method: "" }] }] }, "serviceConfig.methodConfig[1].name[0]");
});

test("a name given twice is refused, even across method configs", () => {
  refuses({ methodConfig: [{ name: [{ service: "s", method: "m" }, { service: "s", method: "m" }] }] }, /method "s\/m" is named twice/);
  refuses({ methodConfig: [{ name: [{}] }, { name: [{ service: "", method: null }] }] }, /the default \(empty\) name is named twice/);
  refuses({ methodConfig: [{ name: [{ method: "m" }] }] }, /a method needs its service/);
});

test("a method config without names applies to nothing", () => {
  const c = parseServiceConfig({ methodConfig: [{ timeout: "1s" }, { name: [], timeout: "2s" }] });
  assert.equal(c.methodSettings("s", "m"), undefined);
});

test("durations are proto3 JSON strings", () => {
  const timeoutOf = (timeout: unknown) => parseServiceConfig({ methodConfig: [{ name: [{}], timeout }] }).methodSettings("s", "m")?.timeoutMs;
  assert.equal(timeoutOf("1.5s"), 1500);
  assert.equal(timeoutOf(".1s"), 100);
  assert.equal(timeoutOf("0s"), 0);
  assert.equal(timeoutOf("0.000001s"), 0.001);
  for (const bad of ["1", "1.5", "-1s", "1m", "s", ".s", "1.0000000001s", 1.5, "1e3s", " 1s", "3.s"]) {
    refuses({ methodConfig: [{ name: [{}], timeout: bad }] }, "serviceConfig.methodConfig[0].timeout");
  }
});

test("message limits are uint32, as numbers or strings", () => {
  const c = parseServiceConfig({ methodConfig: [{ name: [{}], maxRequestMessageBytes: "1024", maxResponseMessageBytes: 2048 }] });
  assert.equal(c.methodSettings("s", "m")?.maxRequestBytes, 1024);
  assert.equal(c.methodSettings("s", "m")?.maxResponseBytes, 2048);
  refuses({ methodConfig: [{ name: [{}], maxRequestMessageBytes: -1 }] }, "serviceConfig.methodConfig[0].maxRequestMessageBytes");
  refuses({ methodConfig: [{ name: [{}], maxResponseMessageBytes: 2 ** 32 }] }, "serviceConfig.methodConfig[0].maxResponseMessageBytes");
  refuses({ methodConfig: [{ name: [{}], waitForReady: "yes" }] }, "serviceConfig.methodConfig[0].waitForReady");
});

test("a retry policy: codes by name or number, attempts capped at 5", () => {
  const c = parseServiceConfig({
    methodConfig: [{ name: [{}], retryPolicy: { ...retryPolicy, maxAttempts: 9, retryableStatusCodes: ["UNAVAILABLE", 10] } }],
  });
  const r = c.methodSettings("s", "m")!.retry!;
  assert.equal(r.maxAttempts, 5);
  assert.equal(r.initialBackoffMs, 100);
  assert.equal(r.maxBackoffMs, 1000);
  assert.equal(r.backoffMultiplier, 2);
  assert.deepEqual([...r.retryableCodes], [Code.UNAVAILABLE, Code.ABORTED]);
});

test("a bad retry policy names its field", () => {
  const at = "serviceConfig.methodConfig[0].retryPolicy";
  const bad = (patch: object) => ({ methodConfig: [{ name: [{}], retryPolicy: { ...retryPolicy, ...patch } }] });
  refuses(bad({ maxAttempts: 1 }), `${at}.maxAttempts`);
  refuses(bad({ maxAttempts: 2.5 }), `${at}.maxAttempts`);
  refuses(bad({ initialBackoff: "0s" }), `${at}.initialBackoff`);
  refuses(bad({ initialBackoff: undefined }), `${at}.initialBackoff`);
  refuses(bad({ maxBackoff: "-1s" }), `${at}.maxBackoff`);
  refuses(bad({ backoffMultiplier: 0 }), `${at}.backoffMultiplier`);
  refuses(bad({ retryableStatusCodes: [] }), `${at}.retryableStatusCodes`);
  refuses(bad({ retryableStatusCodes: ["unavailable"] }), `${at}.retryableStatusCodes[0]`);
  refuses(bad({ retryableStatusCodes: [17] }), `${at}.retryableStatusCodes[0]`);
  refuses(bad({ retryableStatusCodes: "UNAVAILABLE" }), `${at}.retryableStatusCodes`);
});

test("a hedging policy: delay defaults to zero, non-fatal codes may be absent", () => {
  const c = parseServiceConfig({ methodConfig: [{ name: [{}], hedgingPolicy: { maxAttempts: 3 } }] });
  const h = c.methodSettings("s", "m")!.hedging!;
  assert.equal(h.maxAttempts, 3);
  assert.equal(h.hedgingDelayMs, 0);
  assert.equal(h.nonFatalCodes.size, 0);
  const d = parseServiceConfig({ methodConfig: [{ name: [{}], hedgingPolicy: { maxAttempts: 2, hedgingDelay: "0.5s", nonFatalStatusCodes: ["INTERNAL"] } }] });
  assert.equal(d.methodSettings("s", "m")!.hedging!.hedgingDelayMs, 500);
  refuses({ methodConfig: [{ name: [{}], hedgingPolicy: { maxAttempts: 1 } }] }, "serviceConfig.methodConfig[0].hedgingPolicy.maxAttempts");
});

test("retry and hedging exclude each other", () => {
  refuses({ methodConfig: [{ name: [{}], retryPolicy, hedgingPolicy: { maxAttempts: 2 } }] }, /retryPolicy and hedgingPolicy exclude each other/);
});

test("retry throttling: maxTokens in (0, 1000], tokenRatio kept to three decimals", () => {
  assert.deepEqual(parseServiceConfig({ retryThrottling: { maxTokens: 10, tokenRatio: 0.1234 } }).retryThrottling, { maxTokens: 10, tokenRatio: 0.123 });
  refuses({ retryThrottling: { maxTokens: 0, tokenRatio: 0.1 } }, "serviceConfig.retryThrottling.maxTokens");
  refuses({ retryThrottling: { maxTokens: 1001, tokenRatio: 0.1 } }, "serviceConfig.retryThrottling.maxTokens");
  refuses({ retryThrottling: { maxTokens: 10, tokenRatio: 0 } }, "serviceConfig.retryThrottling.tokenRatio");
  refuses({ retryThrottling: { maxTokens: 10, tokenRatio: 0.0004 } }, "serviceConfig.retryThrottling.tokenRatio");
});

test("load balancing config: a list of one-key objects, passed through", () => {
  const c = parseServiceConfig({ loadBalancingConfig: [{ weird_policy: { x: 1 } }, { round_robin: {} }] });
  assert.deepEqual(c.loadBalancingConfig, [
    { name: "weird_policy", config: { x: 1 } },
    { name: "round_robin", config: {} },
  ]);
  assert.deepEqual(parseServiceConfig({ loadBalancingPolicy: "ROUND_ROBIN" }).loadBalancingConfig, [{ name: "round_robin", config: {} }]);
  refuses({ loadBalancingConfig: [{ a: {}, b: {} }] }, "serviceConfig.loadBalancingConfig[0]");
  refuses({ loadBalancingConfig: [{ a: 3 }] }, "serviceConfig.loadBalancingConfig[0].a");
  refuses({ loadBalancingConfig: {} }, "serviceConfig.loadBalancingConfig");
});

test("JSON text is accepted; bad JSON and non-objects are refused", () => {
  assert.equal(parseServiceConfig(JSON.stringify({ methodConfig: [{ name: [{}], timeout: "2s" }] })).methodSettings("a", "b")?.timeoutMs, 2000);
  refuses("{", /^serviceConfig: not valid JSON/);
  refuses("[]", "serviceConfig");
  refuses(null, "serviceConfig");
  refuses(42, "serviceConfig");
});

test("property: whatever the input, the parser returns or throws a TypeError", () => {
  const code = fc.oneof(fc.constantFrom("UNAVAILABLE", "ABORTED", "bogus"), fc.integer({ min: -2, max: 20 }));
  const dur = fc.oneof(fc.constantFrom("1s", ".5s", "0s", "-1s", "1", ""), fc.string(), fc.double());
  const anyValue = fc.anything({ maxDepth: 2 });
  const policy = fc.record(
    {
      maxAttempts: fc.oneof(fc.integer({ min: -1, max: 9 }), anyValue),
      initialBackoff: dur,
      maxBackoff: dur,
      backoffMultiplier: fc.oneof(fc.double(), anyValue),
      retryableStatusCodes: fc.oneof(fc.array(code, { maxLength: 3 }), anyValue),
      hedgingDelay: dur,
      nonFatalStatusCodes: fc.oneof(fc.array(code, { maxLength: 3 }), anyValue),
    },
    { requiredKeys: [] },
  );
  const name = fc.record({ service: fc.oneof(fc.constantFrom("s", "", null), anyValue), method: fc.oneof(fc.constantFrom("m", "", null), anyValue) }, { requiredKeys: [] });
  const methodConfig = fc.record(
    {
      name: fc.oneof(fc.array(name, { maxLength: 3 }), anyValue),
      timeout: dur,
      waitForReady: fc.oneof(fc.boolean(), anyValue),
      maxRequestMessageBytes: fc.oneof(fc.integer(), fc.string(), anyValue),
      maxResponseMessageBytes: fc.oneof(fc.nat(), anyValue),
      retryPolicy: fc.oneof(policy, anyValue),
      hedgingPolicy: fc.oneof(policy, anyValue),
    },
    { requiredKeys: [] },
  );
  const config = fc.record(
    {
      loadBalancingConfig: fc.oneof(fc.array(fc.dictionary(fc.string(), fc.oneof(fc.object(), anyValue), { maxKeys: 2 }), { maxLength: 2 }), anyValue),
      loadBalancingPolicy: fc.oneof(fc.string(), anyValue),
      methodConfig: fc.oneof(fc.array(methodConfig, { maxLength: 3 }), anyValue),
      retryThrottling: fc.oneof(fc.record({ maxTokens: fc.oneof(fc.double(), anyValue), tokenRatio: fc.oneof(fc.double(), anyValue) }, { requiredKeys: [] }), anyValue),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(fc.oneof(config, anyValue, config.map((c) => JSON.stringify(c) ?? "")), (input) => {
      try {
        parseServiceConfig(input);
      } catch (e) {
        if (!(e instanceof TypeError) || !e.message.startsWith("serviceConfig")) throw e;
      }
    }),
    { numRuns: 2000 },
  );
});
