/**
 * Child processes of the driver: servers and load generators, each pinned to
 * its own core with `taskset` so that neither steals the other's CPU time.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { createInterface } from "node:readline";
import { foreignPercent, readCoreBusyUs } from "./core-load.js";
import type { ProcessSample } from "./memory-reporter.js";
import { nodeBinary } from "./node-binary.js";

/** Core for servers and for load generators; undefined when pinning is unavailable. */
export const CORES = detectCores();

function detectCores(): { server: string; load: string } | undefined {
  if (availableParallelism() < 2) return undefined;
  if (spawnSync("taskset", ["-c", "0", "true"]).status !== 0) return undefined;
  return { server: "0", load: "1" };
}

export function pinned(role: "server" | "load", command: string, args: string[]): [string, string[]] {
  return CORES ? ["taskset", ["-c", CORES[role], command, ...args]] : [command, args];
}

const benchDir = new URL("..", import.meta.url);
const NODE_FLAGS = ["--expose-gc", "--import", "tsx"];

export interface ServerProcess {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** Memory and CPU of the server; `gc` collects garbage first. */
  sample(gc: boolean): Promise<ProcessSample>;
  /** Calls `fn` with each line the server prints from now on (V8's traces, with their flags). */
  onOutput(fn: (line: string) => void): void;
  stop(): Promise<void>;
}

export async function startServerProcess(
  impl: string,
  rawResponseSize: number,
  extraNodeFlags: string[] = [],
): Promise<ServerProcess> {
  const [command, args] = pinned("server", nodeBinary(), [
    ...NODE_FLAGS,
    ...extraNodeFlags,
    "server.ts",
    `--impl=${impl}`,
    "--port=0",
    `--response-size=${rawResponseSize}`,
  ]);
  const child = spawn(command, args, { cwd: benchDir, stdio: ["ignore", "pipe", "pipe", "ipc"] });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${impl} server did not start in 30 s: ${stderr}`)), 30_000);
    lines.on("line", (line) => {
      const match = /^listening \S+ \S+:(\d+)$/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${impl} server exited with ${code}: ${stderr}`));
    });
  });
  let nextId = 0;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    sample(gc) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${impl} server did not report memory`)), 30_000);
        const onMessage = (message: { sample?: number; value?: ProcessSample }): void => {
          if (message?.sample !== id) return;
          clearTimeout(timer);
          child.off("message", onMessage);
          resolve(message.value!);
        };
        child.on("message", onMessage);
        child.send({ sample: id, gc });
      });
    },
    onOutput: (fn) => void lines.on("line", fn),
    stop: () => stopChild(child),
  };
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export interface WorkerResult {
  errors: number;
  firstError?: string;
  [key: string]: unknown;
}

/**
 * Run `client-worker.ts` pinned to the load core and return its RESULT.
 * `onLine` sees every other line of its output (the open-streams handshake).
 */
export function runWorker(
  args: Record<string, string | number>,
  timeoutMs: number,
  onLine?: (line: string, child: ChildProcess) => void,
  extraNodeFlags: string[] = [],
): Promise<WorkerResult> {
  const flags = Object.entries(args).map(([k, v]) => `--${k}=${v}`);
  const [command, argv] = pinned("load", nodeBinary(), [...NODE_FLAGS, ...extraNodeFlags, "client-worker.ts", ...flags]);
  const child = spawn(command, argv, { cwd: benchDir, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  return new Promise((resolve) => {
    let result: WorkerResult | undefined;
    const timer = setTimeout(() => {
      result ??= { errors: 1, firstError: `client worker timed out after ${timeoutMs} ms` };
      child.kill("SIGKILL");
    }, timeoutMs);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.startsWith("RESULT ")) result ??= JSON.parse(line.slice(7)) as WorkerResult;
      else onLine?.(line, child);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      result ??= { errors: 1, firstError: `client worker exited with ${code}: ${stderr.trim()}` };
      resolve(result);
    });
  });
}

/**
 * `runWorker`, plus what happened around the client during its measured
 * window (between its "PHASE start" and "PHASE end" lines): the share of
 * one core the server used (near 100 % means the server, not the client,
 * set the pace), and the CPU other processes took on the two pinned cores
 * (`otherCpuPercent`, the larger of the two; high means a disturbed figure).
 */
export async function runWorkerWithServerCpu(
  server: ServerProcess,
  args: Record<string, string | number>,
  timeoutMs: number,
): Promise<WorkerResult> {
  const marks: Array<Promise<{ cpuUs: number; at: number; cores: number[] | undefined }>> = [];
  const result = await runWorker(args, timeoutMs, (line) => {
    if (line === "PHASE start" || line === "PHASE end") {
      const at = performance.now();
      const cores = readCoreBusyUs();
      marks.push(server.sample(false).then((s) => ({ cpuUs: s.cpuUs, at, cores })));
    }
  });
  if (marks.length === 2) {
    const [start, end] = await Promise.all(marks);
    const wallUs = (end.at - start.at) * 1000;
    const serverCpuUs = end.cpuUs - start.cpuUs;
    result.serverCpuPercent = Math.round((1000 * serverCpuUs) / wallUs) / 10;
    if (CORES) {
      const clientCpuUs = typeof result.cpuUs === "number" ? result.cpuUs : 0;
      const onServerCore = foreignPercent(start.cores, end.cores, Number(CORES.server), serverCpuUs, wallUs);
      const onLoadCore = foreignPercent(start.cores, end.cores, Number(CORES.load), clientCpuUs, wallUs);
      if (onServerCore !== undefined && onLoadCore !== undefined) result.otherCpuPercent = Math.max(onServerCore, onLoadCore);
    }
  }
  return result;
}
