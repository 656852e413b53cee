import { Code, codeFromName, isCode } from "../status/code.js";

/**
 * A gRPC service config, as JSON (gRPC's `doc/service_config.md`, the
 * message `grpc.service_config.ServiceConfig` in proto3 JSON form): load
 * balancing, per-method settings (timeout, wait-for-ready, message limits,
 * retry or hedging) and retry throttling. Give it to a channel as
 * `ChannelOptions.serviceConfig`, as this object or as its JSON text; it is
 * validated in `createChannel`, and a bad one throws a `TypeError` naming
 * the offending field. Unknown fields are ignored, as in other gRPC
 * implementations.
 *
 * ```ts
 * createChannel(target, {
 *   serviceConfig: {
 *     methodConfig: [{
 *       name: [{ service: "users.v1.UserService" }],
 *       timeout: "2s",
 *       retryPolicy: { maxAttempts: 3, initialBackoff: "0.1s", maxBackoff: "1s", backoffMultiplier: 2, retryableStatusCodes: ["UNAVAILABLE"] },
 *     }],
 *   },
 * });
 * ```
 */
export interface ServiceConfig {
  /**
   * Load-balancing policies in order of preference, each an object with one
   * key, the policy's name, whose value is its config:
   * `[{ "round_robin": {} }]`.
   */
  loadBalancingConfig?: Record<string, object>[];
  /** Deprecated form of `loadBalancingConfig` (`"round_robin"`); used only when that is absent. */
  loadBalancingPolicy?: string;
  /** Settings per method, per service, or for every method. */
  methodConfig?: MethodConfig[];
  /** Throttling of retries and hedges across all the channel's calls (gRFC A6). */
  retryThrottling?: { maxTokens: number; tokenRatio: number };
  /** Client-side health checking (gRFC A17): the service whose `grpc.health.v1` status each backend is asked for. */
  healthCheckConfig?: { serviceName: string };
}

/** The settings of the methods it names. */
export interface MethodConfig {
  /**
   * Which methods: `{ service, method }` names one method, `{ service }`
   * every method of a service, `{}` every method (the default). The most
   * specific match wins; a name may appear once in a whole config. Service
   * names include the package (`users.v1.UserService`).
   */
  name?: { service?: string | null; method?: string | null }[];
  /** Whether calls wait for a connection instead of failing fast (a call's own option wins). */
  waitForReady?: boolean;
  /** Time a call may take, as a proto3 JSON duration (`"1.5s"`); a call's own deadline wins if sooner. */
  timeout?: string;
  /** Largest request message, in bytes; the lower of this and the channel's or call's limit applies. */
  maxRequestMessageBytes?: number | string;
  /** Largest response message, in bytes; the lower of this and the channel's or call's limit applies. */
  maxResponseMessageBytes?: number | string;
  /** Retry failed calls (not with `hedgingPolicy`). */
  retryPolicy?: RetryPolicy;
  /** Send several copies of a call (not with `retryPolicy`). */
  hedgingPolicy?: HedgingPolicy;
}

/** When and how often a failed call is tried again (gRFC A6). */
export interface RetryPolicy {
  /** Attempts in all, the first included: at least 2; more than 5 count as 5. */
  maxAttempts: number;
  /** Duration (`"0.1s"`) bounding the random delay before the first retry; greater than zero. */
  initialBackoff: string;
  /** Duration bounding every delay; greater than zero. */
  maxBackoff: string;
  /** Growth of the bound after each retry; greater than zero. */
  backoffMultiplier: number;
  /** Codes worth another attempt, by name (`"UNAVAILABLE"`) or number; at least one. */
  retryableStatusCodes: (string | number)[];
}

/** Copies of a call sent one after another until one answers (gRFC A6). */
export interface HedgingPolicy {
  /** Copies in all, the first included: at least 2; more than 5 count as 5. */
  maxAttempts: number;
  /** Duration between copies (`"0.5s"`); default `"0s"`, all at once. */
  hedgingDelay?: string;
  /** Codes after which the other copies go on (and the next one starts at once); any other code ends the call. */
  nonFatalStatusCodes?: (string | number)[];
}

/** A service config after validation, with durations in milliseconds. @internal */
export interface ValidServiceConfig {
  /** The load-balancing policies, in order of preference, each with its (unvalidated) config. */
  readonly loadBalancingConfig: readonly LoadBalancingChoice[];
  readonly retryThrottling: ThrottlingSettings | undefined;
  /** `healthCheckConfig.serviceName`, when client-side health checking is asked for. */
  readonly healthCheckServiceName: string | undefined;
  /** The settings of `service`/`method`: its own, else its service's, else the default, else undefined. */
  methodSettings(service: string, method: string): MethodSettings | undefined;
}

/** One entry of `loadBalancingConfig`. @internal */
export interface LoadBalancingChoice {
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/** @internal */
export interface MethodSettings {
  readonly waitForReady: boolean | undefined;
  readonly timeoutMs: number | undefined;
  readonly maxRequestBytes: number | undefined;
  readonly maxResponseBytes: number | undefined;
  readonly retry: RetrySettings | undefined;
  readonly hedging: HedgingSettings | undefined;
}

/** @internal */
export interface RetrySettings {
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly backoffMultiplier: number;
  readonly retryableCodes: ReadonlySet<Code>;
}

/** @internal */
export interface HedgingSettings {
  readonly maxAttempts: number;
  readonly hedgingDelayMs: number;
  readonly nonFatalCodes: ReadonlySet<Code>;
}

/** @internal */
export interface ThrottlingSettings {
  readonly maxTokens: number;
  /** Tokens per success, three decimals kept (gRFC A6). */
  readonly tokenRatio: number;
}

/** The most attempts a retry or hedging policy gets, whatever the config says (gRFC A6's client-side cap). @internal */
export const maxAttemptsCap = 5;

/**
 * Validates a service config (an object or its JSON text) and resolves it
 * for use; anything wrong throws a `TypeError` whose message starts with the
 * path of the offending field (`serviceConfig.methodConfig[0].timeout`).
 * It throws nothing else. @internal
 */
export function parseServiceConfig(input: unknown, path = "serviceConfig"): ValidServiceConfig {
  let value = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input) as unknown;
    } catch (e) {
      throw new TypeError(`${path}: not valid JSON (${(e as Error).message})`);
    }
  }
  const root = object(value, path);
  const loadBalancingConfig = root.loadBalancingConfig !== undefined && root.loadBalancingConfig !== null
    ? parseLoadBalancingConfig(root.loadBalancingConfig, `${path}.loadBalancingConfig`)
    : parseLoadBalancingPolicy(root.loadBalancingPolicy, `${path}.loadBalancingPolicy`);
  const byName = new Map<string, MethodSettings>();
  const methodConfig = optionalArray(root.methodConfig, `${path}.methodConfig`) ?? [];
  methodConfig.forEach((entry, i) => parseMethodConfig(entry, `${path}.methodConfig[${i}]`, byName));
  const retryThrottling = root.retryThrottling == null ? undefined : parseThrottling(root.retryThrottling, `${path}.retryThrottling`);
  const healthCheckServiceName = root.healthCheckConfig == null ? undefined : parseHealthCheckConfig(root.healthCheckConfig, `${path}.healthCheckConfig`);
  return {
    loadBalancingConfig,
    retryThrottling,
    healthCheckServiceName,
    methodSettings(service, method) {
      return byName.get(`${service}/${method}`) ?? byName.get(`${service}/`) ?? byName.get("/");
    },
  };
}

function parseHealthCheckConfig(value: unknown, path: string): string {
  const name = object(value, path).serviceName;
  if (typeof name !== "string") throw new TypeError(`${path}.serviceName: must be a string, got ${name === undefined ? "nothing" : typeof name}`);
  return name;
}

function parseLoadBalancingConfig(value: unknown, path: string): LoadBalancingChoice[] {
  const list = optionalArray(value, path)!;
  return list.map((entry, i) => {
    const at = `${path}[${i}]`;
    const keys = Object.keys(object(entry, at));
    if (keys.length !== 1) throw new TypeError(`${at}: must have exactly one key, the policy's name, got ${keys.length}`);
    const name = keys[0]!;
    const config = (entry as Record<string, unknown>)[name];
    return { name, config: config === null ? {} : object(config, `${at}.${name}`) };
  });
}

function parseLoadBalancingPolicy(value: unknown, path: string): LoadBalancingChoice[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== "string" || value === "") throw new TypeError(`${path}: must be a policy name such as "round_robin"`);
  // The deprecated field is an enum in the proto: ROUND_ROBIN, or the policy's own name.
  return [{ name: value.toLowerCase(), config: {} }];
}

function parseMethodConfig(value: unknown, path: string, byName: Map<string, MethodSettings>): void {
  const mc = object(value, path);
  const retry = mc.retryPolicy == null ? undefined : parseRetryPolicy(mc.retryPolicy, `${path}.retryPolicy`);
  const hedging = mc.hedgingPolicy == null ? undefined : parseHedgingPolicy(mc.hedgingPolicy, `${path}.hedgingPolicy`);
  if (retry && hedging) throw new TypeError(`${path}: retryPolicy and hedgingPolicy exclude each other`);
  if (mc.waitForReady != null && typeof mc.waitForReady !== "boolean") throw new TypeError(`${path}.waitForReady: must be true or false`);
  const settings: MethodSettings = {
    waitForReady: (mc.waitForReady ?? undefined) as boolean | undefined,
    timeoutMs: mc.timeout == null ? undefined : duration(mc.timeout, `${path}.timeout`),
    maxRequestBytes: mc.maxRequestMessageBytes == null ? undefined : uint32(mc.maxRequestMessageBytes, `${path}.maxRequestMessageBytes`),
    maxResponseBytes: mc.maxResponseMessageBytes == null ? undefined : uint32(mc.maxResponseMessageBytes, `${path}.maxResponseMessageBytes`),
    retry,
    hedging,
  };
  // A method config without names applies to nothing (service_config.proto).
  const names = optionalArray(mc.name, `${path}.name`) ?? [];
  names.forEach((n, i) => {
    const at = `${path}.name[${i}]`;
    const name = object(n, at);
    const service = optionalString(name.service, `${at}.service`);
    const method = optionalString(name.method, `${at}.method`);
    if (service === "" && method !== "") throw new TypeError(`${at}: a method needs its service`);
    const key = `${service}/${method}`;
    if (byName.has(key)) {
      const what = service === "" ? "the default (empty) name" : method === "" ? `service "${service}"` : `method "${service}/${method}"`;
      throw new TypeError(`${at}: ${what} is named twice in the service config`);
    }
    byName.set(key, settings);
  });
}

function parseRetryPolicy(value: unknown, path: string): RetrySettings {
  const p = object(value, path);
  const initialBackoffMs = duration(required(p.initialBackoff, `${path}.initialBackoff`), `${path}.initialBackoff`);
  const maxBackoffMs = duration(required(p.maxBackoff, `${path}.maxBackoff`), `${path}.maxBackoff`);
  if (initialBackoffMs <= 0) throw new TypeError(`${path}.initialBackoff: must be greater than zero`);
  if (maxBackoffMs <= 0) throw new TypeError(`${path}.maxBackoff: must be greater than zero`);
  const backoffMultiplier = p.backoffMultiplier;
  if (typeof backoffMultiplier !== "number" || !Number.isFinite(backoffMultiplier) || backoffMultiplier <= 0) {
    throw new TypeError(`${path}.backoffMultiplier: must be a number greater than zero`);
  }
  const retryableCodes = codes(required(p.retryableStatusCodes, `${path}.retryableStatusCodes`), `${path}.retryableStatusCodes`);
  if (retryableCodes.size === 0) throw new TypeError(`${path}.retryableStatusCodes: must name at least one code`);
  return { maxAttempts: attempts(p.maxAttempts, `${path}.maxAttempts`), initialBackoffMs, maxBackoffMs, backoffMultiplier, retryableCodes };
}

function parseHedgingPolicy(value: unknown, path: string): HedgingSettings {
  const p = object(value, path);
  return {
    maxAttempts: attempts(p.maxAttempts, `${path}.maxAttempts`),
    hedgingDelayMs: p.hedgingDelay == null ? 0 : duration(p.hedgingDelay, `${path}.hedgingDelay`),
    nonFatalCodes: p.nonFatalStatusCodes == null ? new Set() : codes(p.nonFatalStatusCodes, `${path}.nonFatalStatusCodes`),
  };
}

function parseThrottling(value: unknown, path: string): ThrottlingSettings {
  const t = object(value, path);
  const maxTokens = t.maxTokens;
  if (typeof maxTokens !== "number" || !(maxTokens > 0 && maxTokens <= 1000)) {
    throw new TypeError(`${path}.maxTokens: must be a number greater than 0 and at most 1000`);
  }
  const ratio = t.tokenRatio;
  if (typeof ratio !== "number" || !Number.isFinite(ratio) || ratio <= 0) throw new TypeError(`${path}.tokenRatio: must be a number greater than zero`);
  const tokenRatio = Math.floor(ratio * 1000 + 1e-6) / 1000;
  if (tokenRatio === 0) throw new TypeError(`${path}.tokenRatio: must be at least 0.001 (three decimals are kept)`);
  return { maxTokens, tokenRatio };
}

function attempts(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 2) throw new TypeError(`${path}: must be an integer of at least 2`);
  return Math.min(value, maxAttemptsCap);
}

function codes(value: unknown, path: string): Set<Code> {
  const list = optionalArray(value, path)!;
  const out = new Set<Code>();
  list.forEach((c, i) => {
    const code = typeof c === "number" ? (isCode(c) ? c : undefined) : typeof c === "string" && /^[A-Z_]+$/.test(c) ? codeFromName(c) : undefined;
    if (code === undefined) throw new TypeError(`${path}[${i}]: ${describe(c)} is not a status code (a name such as "UNAVAILABLE", or 0 to 16)`);
    out.add(code);
  });
  return out;
}

/** Largest seconds of a google.protobuf.Duration. */
const maxDurationSeconds = 315_576_000_000;

/** A proto3 JSON Duration (`"1.5s"`, `"0.000001s"`, `".1s"`) in milliseconds; negative ones are refused. */
function duration(value: unknown, path: string): number {
  const m = typeof value === "string" ? /^(\d*)(?:\.(\d{1,9}))?s$/.exec(value) : null;
  if (!m || (m[1] === "" && m[2] === undefined)) {
    throw new TypeError(`${path}: must be a non-negative duration in seconds with an "s" suffix, such as "1.5s", got ${describe(value)}`);
  }
  const seconds = m[1] === "" ? 0 : Number(m[1]);
  if (seconds > maxDurationSeconds) throw new TypeError(`${path}: duration out of range`);
  const nanos = m[2] === undefined ? 0 : Number(m[2].padEnd(9, "0"));
  return seconds * 1000 + nanos / 1e6;
}

/** A proto3 JSON uint32: a number, or a string of digits. */
function uint32(value: unknown, path: string): number {
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new TypeError(`${path}: must be an integer from 0 to 4294967295`);
  return n;
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new TypeError(`${path}: must be an object`);
  return value as Record<string, unknown>;
}

function optionalArray(value: unknown, path: string): unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new TypeError(`${path}: must be an array`);
  return value;
}

/** A string field where absent, null and "" mean the same (proto3 JSON). */
function optionalString(value: unknown, path: string): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") throw new TypeError(`${path}: must be a string`);
  return value;
}

function required(value: unknown, path: string): unknown {
  if (value === undefined || value === null) throw new TypeError(`${path}: is required`);
  return value;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object" && value !== null) return Array.isArray(value) ? "an array" : "an object";
  return String(value);
}
