/**
 * tsgrpc servers behind real proxies: two tsgrpc interop servers behind
 * nginx (`grpc_pass` to an upstream of both) and behind HAProxy (HTTP/2
 * backends, `proto h2`), each started here on loopback with a generated
 * configuration in a temporary directory.
 *
 *   node --import tsx interop/run-proxies.ts [--proxies=nginx,haproxy] [--cases=a,b]
 *
 * For each proxy: the standard interop cases through it (all four RPC
 * kinds, metadata and trailers, error statuses) with the grpc-js and the
 * tsgrpc clients; then a backend is stopped under load, once gracefully
 * (SIGTERM: GOAWAY and drain, a rolling restart) and once by a crash
 * (SIGKILL), and a grpc-js client with a retry policy must lose no call,
 * except, after a crash, calls whose response had already begun (the proxy
 * resets those, and no client may retry a call whose response began). Our
 * own client runs the same load and its losses are reported (see
 * `ourClientMustNotLose`). Prints one line
 * per check and `N passed, N failed`; exits 1 if anything failed. Skips a
 * proxy whose binary is missing, saying so (`.ci/run` installs both).
 */
import { existsSync } from "node:fs";
import grpc from "@grpc/grpc-js";
import { createClient, createChannel, RpcError, Code } from "../src/index.js";
import { parseRawFlags } from "./flags.js";
import { runClientProcess, startServerProcess, type ServerProcess } from "./peer-process.js";
import { PROXY_BINARIES, startProxy, type ProxyName, type ProxyProcess } from "./proxy-process.js";
import { grpcJsService } from "./grpc-js/service-definition.js";
import { TestService } from "./gen/grpc/testing/test_pb.js";

const flags = parseRawFlags(process.argv.slice(2));
const proxies = (flags.get("proxies")?.split(",") ?? ["nginx", "haproxy"]) as ProxyName[];
/** Cases a proxy must carry: the four kinds, metadata both ways, trailers and error statuses. */
const cases = flags.get("cases")?.split(",") ?? [
  "empty_unary",
  "large_unary",
  "client_streaming",
  "server_streaming",
  "ping_pong",
  "empty_stream",
  "custom_metadata",
  "status_code_and_message",
  "special_status_message",
  "unimplemented_method",
  "cancel_after_begin",
  "cancel_after_first_response",
  "timeout_on_sleeping_server",
];
/**
 * Whether tsgrpc's client must lose no call when a backend dies (true once
 * it retries with a service-config retry policy). Until then its losses are
 * reported, not failed. Turn on with TSGRPC_PROXY_OUR_RETRY=1.
 */
const ourClientMustNotLose = process.env.TSGRPC_PROXY_OUR_RETRY === "1";

/** gRFC A6 retry policy for the grpc-js client: what a proxy answers for a dead backend (502/503 → UNAVAILABLE) is retried. */
const retryServiceConfig = JSON.stringify({
  methodConfig: [
    {
      name: [{ service: "grpc.testing.TestService" }],
      retryPolicy: { maxAttempts: 5, initialBackoff: "0.05s", maxBackoff: "0.5s", backoffMultiplier: 2, retryableStatusCodes: ["UNAVAILABLE"] },
    },
  ],
});

let passed = 0;
let failed = 0;
const report = (ok: boolean, label: string, detail = "") => {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "PASS" : "FAIL"}  ${label}${detail ? `  ${detail}` : ""}`);
};

type UnaryCall = () => Promise<void>;

/** Eight callers back to back for `durationMs`, stopping `victim` with `signal` at `killAtMs`; the failures by message. */
async function underLoad(call: UnaryCall, durationMs: number, victim: ServerProcess, signal: NodeJS.Signals, killAtMs: number): Promise<{ ok: number; failures: Map<string, number> }> {
  const failures = new Map<string, number>();
  let ok = 0;
  const until = performance.now() + durationMs;
  const kill = new Promise<void>((resolve) => setTimeout(() => void victim.kill(signal).then(resolve), killAtMs));
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (performance.now() < until) {
        try {
          await call();
          ok++;
        } catch (e) {
          const key = e instanceof RpcError ? `${Code[e.code]}: ${e.rawMessage}` : String((e as Error).message ?? e);
          failures.set(key, (failures.get(key) ?? 0) + 1);
        }
      }
    }),
  );
  await kill;
  return { ok, failures };
}

function grpcJsUnary(port: number): { call: UnaryCall; close(): void } {
  const Client = grpc.makeGenericClientConstructor(grpcJsService(TestService), "TestService");
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { "grpc.service_config": retryServiceConfig });
  const unary = client.unaryCall.bind(client) as unknown as (req: object, md: grpc.Metadata, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void) => void;
  return {
    call: () =>
      new Promise<void>((resolve, reject) =>
        unary({ responseSize: 100, payload: { body: new Uint8Array(100) } }, new grpc.Metadata(), { deadline: Date.now() + 10_000 }, (e) => (e ? reject(new Error(`${grpc.status[e.code]}: ${e.details}`)) : resolve())),
      ),
    close: () => client.close(),
  };
}

function tsgrpcUnary(port: number): { call: UnaryCall; close(): void } {
  // Hook for the retries work: give this channel its service config (retryPolicy above) once channels take one.
  const channel = createChannel(`http://127.0.0.1:${port}`);
  const client = createClient(TestService, channel);
  return {
    call: async () => {
      await client.unaryCall({ responseSize: 100, payload: { body: new Uint8Array(100) } }, { timeoutMs: 10_000 });
    },
    close: () => channel.close(),
  };
}

async function behind(name: ProxyName): Promise<void> {
  if (!existsSync(PROXY_BINARIES[name])) {
    console.log(`SKIP  ${name}: ${PROXY_BINARIES[name]} is not installed (apt-get install ${name})`);
    return;
  }
  const backends: ServerProcess[] = [];
  let proxy: ProxyProcess | undefined;
  try {
    backends.push(await startServerProcess("tsgrpc"), await startServerProcess("tsgrpc"));
    proxy = await startProxy(name, backends.map((b) => b.port));
    for (const client of ["grpc-js", "tsgrpc"] as const) {
      for (const testCase of cases) {
        const r = await runClientProcess(client, { port: proxy.port, testCase, timeoutMs: 30_000 });
        report(r.ok, `${client} client -> ${name} -> 2 tsgrpc servers  ${testCase}`, r.ok ? "" : r.output.split("\n").slice(-3).join(" | "));
      }
    }
    // A backend stopped under load, gracefully and by a crash.
    const runs = [
      ["grpc-js (retryPolicy)", grpcJsUnary, true, "SIGTERM"],
      ["grpc-js (retryPolicy)", grpcJsUnary, true, "SIGKILL"],
      ["tsgrpc", tsgrpcUnary, ourClientMustNotLose, "SIGTERM"],
      ["tsgrpc", tsgrpcUnary, ourClientMustNotLose, "SIGKILL"],
    ] as const;
    for (const [client, make, mustNotLose, signal] of runs) {
      const { call, close } = make(proxy.port);
      const { ok, failures } = await underLoad(call, 3000, backends[0]!, signal, 1000);
      close();
      const lost = [...failures.values()].reduce((a, b) => a + b, 0);
      // After a crash: calls whose response had begun are reset by the proxy (RST_STREAM INTERNAL_ERROR).
      const begun = signal === "SIGKILL" ? [...failures].filter(([k]) => /RST_STREAM with code 2|error code 2/.test(k)).reduce((a, [, n]) => a + n, 0) : 0;
      const detail = `${ok} ok, ${lost} lost${lost ? ` ${JSON.stringify(Object.fromEntries(failures))}` : ""}`;
      const label = `${client} client -> ${name}, a backend ${signal === "SIGKILL" ? "crashing (SIGKILL)" : "shutting down (SIGTERM)"} under load`;
      if (mustNotLose) report(lost - begun === 0 && ok > 0, label, detail);
      else console.log(`INFO  ${label}: ${detail} (reported only until our client retries)`);
      // Replace the dead backend: the proxy keeps its address list, so restart on a new port means a new proxy.
      await proxy.stop();
      proxy = undefined;
      backends[0] = await startServerProcess("tsgrpc");
      proxy = await startProxy(name, backends.map((b) => b.port));
    }
  } catch (e) {
    report(false, `${name}: setup`, (e as Error).message);
  } finally {
    await proxy?.stop();
    await Promise.all(backends.map((b) => b.stop()));
  }
}

for (const name of proxies) await behind(name);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
