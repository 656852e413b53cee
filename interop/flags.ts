/**
 * Command-line flags of the interop programs, in the form every gRPC
 * implementation's harness uses: `--name=value`, `--name value`, or a bare
 * `--name` for `true`.
 */

/** Flags of an interop client (names as in the gRPC interop description). */
export interface ClientFlags {
  serverHost: string;
  serverPort: number;
  /** Name to claim for TLS verification and `:authority`; defaults to serverHost. */
  serverHostOverride: string | undefined;
  testCase: string;
  useTls: boolean;
  /** Trust only the test CA (from {@link createTestCerts}) instead of system roots. */
  useTestCa: boolean;
  /** Soak cases: iterations and the worst acceptable latency of one iteration. */
  soakIterations: number;
  soakMaxFailures: number;
  soakPerIterationMaxAcceptableLatencyMs: number;
  soakOverallTimeoutSeconds: number;
  /** concurrent_large_unary: how many calls at once. */
  concurrentCalls: number;
}

/** Flags of an interop server. */
export interface ServerFlags {
  /** 0 picks a free port; the program prints it (`listening on HOST:PORT`). */
  port: number;
  useTls: boolean;
}

export function parseRawFlags(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw new TypeError(`unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf("=");
    if (eq >= 0) {
      out.set(arg.slice(2, eq), arg.slice(eq + 1));
    } else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) {
      out.set(arg.slice(2), argv[++i]!);
    } else {
      out.set(arg.slice(2), "true");
    }
  }
  return out;
}

function bool(raw: Map<string, string>, name: string): boolean {
  const v = raw.get(name);
  if (v === undefined) return false;
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw new TypeError(`--${name} must be true or false, got ${JSON.stringify(v)}`);
}

function int(raw: Map<string, string>, name: string, fallback: number): number {
  const v = raw.get(name);
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new TypeError(`--${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

const clientFlagNames = new Set([
  "server_host", "server_port", "server_host_override", "test_case", "use_tls", "use_test_ca",
  "default_service_account", "oauth_scope", "service_account_key_file", "service_config_json",
  "soak_iterations", "soak_max_failures", "soak_per_iteration_max_acceptable_latency_ms",
  "soak_overall_timeout_seconds", "concurrent_calls",
]);

export function parseClientFlags(argv: readonly string[]): ClientFlags {
  const raw = parseRawFlags(argv);
  for (const k of raw.keys()) if (!clientFlagNames.has(k)) throw new TypeError(`unknown flag --${k}`);
  const testCase = raw.get("test_case");
  if (!testCase) throw new TypeError("--test_case is required");
  return {
    serverHost: raw.get("server_host") || "localhost",
    serverPort: int(raw, "server_port", 8080),
    serverHostOverride: raw.get("server_host_override") || undefined,
    testCase,
    useTls: bool(raw, "use_tls"),
    useTestCa: bool(raw, "use_test_ca"),
    soakIterations: int(raw, "soak_iterations", 10),
    soakMaxFailures: int(raw, "soak_max_failures", 0),
    soakPerIterationMaxAcceptableLatencyMs: int(raw, "soak_per_iteration_max_acceptable_latency_ms", 1000),
    soakOverallTimeoutSeconds: int(raw, "soak_overall_timeout_seconds", 30),
    concurrentCalls: int(raw, "concurrent_calls", 32),
  };
}

export function parseServerFlags(argv: readonly string[]): ServerFlags {
  const raw = parseRawFlags(argv);
  for (const k of raw.keys()) if (k !== "port" && k !== "use_tls") throw new TypeError(`unknown flag --${k}`);
  return { port: int(raw, "port", 8080), useTls: bool(raw, "use_tls") };
}
