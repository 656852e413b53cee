/** A description of the machine a run was taken on, for the report. */
import { spawnSync } from "node:child_process";
import os from "node:os";
import { CORES } from "./child.js";
import { nodeVersion } from "./node-binary.js";

export interface Machine {
  /** The commit measured, with "+ uncommitted changes in src/" when the working tree differs. */
  tsgrpc: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  /** The Node.js release servers and load generators ran on (`--node`). */
  node: string;
  h2load: string;
  pinning: string;
  loadAverageAtStart: number[];
}

export function describeMachine(): Machine {
  const h2load = spawnSync("h2load", ["--version"], { encoding: "utf8" });
  return {
    tsgrpc: describeCommit(),
    cpu: os.cpus()[0]?.model.trim() ?? "unknown",
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: nodeVersion(),
    h2load: h2load.status === 0 ? h2load.stdout.trim() : "missing",
    pinning: CORES ? `servers on core ${CORES.server}, load generators on core ${CORES.load} (taskset)` : "none (fewer than 2 cores or no taskset)",
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

function describeCommit(): string {
  const root = new URL("../..", import.meta.url);
  const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" });
  if (head.status !== 0) return "unknown commit";
  const dirty = spawnSync("git", ["status", "--porcelain", "--", "src"], { cwd: root, encoding: "utf8" });
  return `${head.stdout.trim()}${dirty.stdout.trim() ? " + uncommitted changes in src/" : ""}`;
}

export function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}; Node.js ${m.node}; ${m.h2load}; pinning: ${m.pinning}; load average at start ${m.loadAverageAtStart.join(" / ")}`;
}
