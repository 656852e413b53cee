/**
 * CPU profiles of one implementation under the bench's workloads, summarized
 * (self time by place and function; our own functions by inclusive time):
 *
 *   npm run build && cd bench && node --import tsx profile.ts --impl=tsgrpc --scenarios=server-0,server-65536,client-unary,client-stream
 *
 * Servers run under h2load (4 × 32 streams); clients call the raw bound
 * server (64 unary calls in flight; one stream of 100 B messages). The
 * process under test is pinned like in `run.ts` and profiled with
 * `node --cpu-prof`; profiles go to a temporary folder, the summary to stdout.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runWorker, startServerProcess } from "./lib/child.js";
import { renderProfile, summarizeProfile } from "./lib/cpu-profile.js";
import { distProblem } from "./lib/dist.js";
import { frame } from "./lib/envelope.js";
import { ensureH2load, runH2load } from "./lib/h2load.js";
import { PATHS, requestBytes } from "./lib/messages.js";

const { values: args } = parseArgs({
  options: {
    impl: { type: "string", default: "tsgrpc" },
    seconds: { type: "string", default: "10" },
    scenarios: { type: "string", default: "server-0,server-1024,server-65536,client-unary,client-stream" },
    keep: { type: "boolean", default: false },
  },
});
const impl = args.impl!;
const seconds = Number(args.seconds);
const ownPrefix = new URL("../dist/", import.meta.url).href;

async function profileServer(size: number, dir: string): Promise<string> {
  const server = await startServerProcess(impl, size, ["--cpu-prof", `--cpu-prof-dir=${dir}`]);
  const dataFile = join(dir, "request.bin");
  writeFileSync(dataFile, frame(requestBytes(size)));
  try {
    const load = { url: server.url + PATHS.unaryCall, dataFile, connections: 4, streamsPerConnection: 32 };
    await runH2load({ ...load, durationS: 2 });
    const run = await runH2load({ ...load, durationS: seconds });
    return `${Math.round(run.reqPerSec)} req/s under the profiler`;
  } finally {
    await server.stop();
  }
}

async function profileClient(workload: "unary" | "server-stream", dir: string): Promise<string> {
  const server = await startServerProcess("raw", 100);
  try {
    const result = await runWorker(
      {
        impl,
        url: server.url,
        workload,
        "response-size": 100,
        "payload-size": workload === "unary" ? 100 : 0,
        "warmup-ms": 2000,
        "duration-ms": seconds * 1000,
        count: 100_000 * seconds,
      },
      seconds * 1000 + 120_000,
      undefined,
      ["--cpu-prof", `--cpu-prof-dir=${dir}`],
    );
    if (result.errors) throw new Error(`${result.errors} errors: ${result.firstError}`);
    return workload === "unary" ? `${result.callsPerSec} calls/s under the profiler` : `${result.msgsPerSec} msgs/s under the profiler`;
  } finally {
    await server.stop();
  }
}

const stale = impl === "tsgrpc" ? distProblem() : undefined;
if (stale) throw new Error(stale);
ensureH2load();
for (const scenario of args.scenarios!.split(",")) {
  const dir = mkdtempSync(join(tmpdir(), "tsgrpc-profile-"));
  let note: string;
  if (scenario.startsWith("server-")) note = await profileServer(Number(scenario.slice(7)), dir);
  else if (scenario === "client-unary") note = await profileClient("unary", dir);
  else if (scenario === "client-stream") note = await profileClient("server-stream", dir);
  else throw new Error(`unknown scenario ${scenario}`);
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main
  // thread; others are workers such as the module loader's hooks thread.
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile") && f.split(".")[4] === "0");
  if (!file) throw new Error(`no profile written for ${scenario}`);
  process.stdout.write(renderProfile(`${impl} ${scenario}: ${note}`, summarizeProfile(join(dir, file), ownPrefix)) + "\n");
  if (args.keep) console.error(`profile kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
