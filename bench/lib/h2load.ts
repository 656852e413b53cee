/**
 * Drives a server with h2load (nghttp2's load generator, written in C): a
 * neutral client that costs the server nothing beyond serving, and that
 * none of the implementations under test has a hand in.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { pinned } from "./child.js";
import { summarize, type LatencySummary } from "./stats.js";

/** Install Debian's nghttp2-client when h2load is missing (we run as root in CI). */
export function ensureH2load(): void {
  if (spawnSync("h2load", ["--version"]).status === 0) return;
  console.error("h2load not found: installing nghttp2-client with apt-get");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update", "-qq"], ["install", "-y", "-qq", "nghttp2-client"]]) {
    const step = spawnSync("apt-get", args, { stdio: "inherit", env });
    if (step.status !== 0) throw new Error(`apt-get ${args.join(" ")} failed; install nghttp2-client by hand`);
  }
}

export interface H2loadOptions {
  url: string;
  /** File holding the pre-framed request body. */
  dataFile: string;
  connections: number;
  streamsPerConnection: number;
  /** Timing mode, seconds; or else... */
  durationS?: number;
  /** ...a fixed number of requests. */
  requests?: number;
  /** Per-request log, for percentiles; omitted when undefined. */
  logFile?: string;
}

export interface H2loadResult extends Partial<LatencySummary> {
  seconds: number;
  reqPerSec: number;
  done: number;
  succeeded: number;
  failed: number;
  errored: number;
  timeout: number;
  non2xx: number;
  /** Human-readable problems; empty when every request succeeded with HTTP 2xx. */
  problems: string[];
}

export async function runH2load(options: H2loadOptions): Promise<H2loadResult> {
  const args = [
    "-c", String(options.connections),
    "-m", String(options.streamsPerConnection),
    "-t", "1",
    "-d", options.dataFile,
    "-H", "content-type: application/grpc",
    "-H", "te: trailers",
  ];
  if (options.durationS !== undefined) args.push("-D", String(options.durationS));
  else args.push("-n", String(options.requests ?? 1000));
  if (options.logFile) {
    rmSync(options.logFile, { force: true });
    args.push(`--log-file=${options.logFile}`);
  }
  args.push(options.url);
  const [command, argv] = pinned("load", "h2load", args);
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (chunk) => (text += chunk));
    child.stderr.on("data", (chunk) => (text += chunk));
    const limitS = (options.durationS ?? 60) + 60;
    const timer = setTimeout(() => child.kill("SIGKILL"), limitS * 1000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`h2load exited with ${code}: ${text.slice(-2000)}`));
      else resolve(text);
    });
  });
  const result = parseH2load(output);
  if (options.logFile) {
    Object.assign(result, latencyFromLog(options.logFile));
    rmSync(options.logFile, { force: true });
  }
  return result;
}

export function parseH2load(output: string): H2loadResult {
  const finished = /finished in ([\d.]+)(m?s), ([\d.]+) req\/s/.exec(output);
  const requests =
    /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(
      output,
    );
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(output);
  if (!finished || !requests || !codes) throw new Error(`unexpected h2load output:\n${output.slice(-2000)}`);
  const seconds = Number(finished[1]) / (finished[2] === "ms" ? 1000 : 1);
  const [done, succeeded, failed, errored, timeout] = requests.slice(3, 8).map(Number);
  const non2xx = Number(codes[2]) + Number(codes[3]) + Number(codes[4]);
  const problems: string[] = [];
  if (failed || errored || timeout) problems.push(`h2load: ${failed} failed, ${errored} errored, ${timeout} timeout`);
  if (non2xx) problems.push(`h2load: ${non2xx} non-2xx responses`);
  if (succeeded === 0) problems.push("h2load: no request succeeded");
  return { seconds, reqPerSec: Number(finished[3]), done, succeeded, failed, errored, timeout, non2xx, problems };
}

/** Per-request durations from h2load's log (columns: start µs, HTTP status, duration µs). */
function latencyFromLog(file: string): LatencySummary {
  const text = readFileSync(file, "latin1");
  const durations: number[] = [];
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf("\n", at);
    if (end < 0) end = text.length;
    const tab = text.lastIndexOf("\t", end);
    if (tab > at) durations.push(Number(text.slice(tab + 1, end)));
    at = end + 1;
  }
  return summarize(durations);
}
