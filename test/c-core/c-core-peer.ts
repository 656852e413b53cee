// The C core as a test peer: Debian's python3-grpcio running
// interop/python/server.py and client.py. `npm run test:interop` installs it
// (interop/python/setup.sh, from .ci/run too); run alone on a machine without
// it, these tests are skipped and say why.
import { execFileSync, spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { REPO_ROOT, SYSTEM_PYTHON } from "../../interop/peer-process.js";

/** Why the C-core tests cannot run here, or false when they can. */
export const cCoreMissing: string | false =
  spawnSync(SYSTEM_PYTHON, ["-c", "import grpc, google.protobuf"], { stdio: "ignore" }).status === 0
    ? false
    : `needs Debian's python3-grpcio and python3-protobuf for ${SYSTEM_PYTHON} (npm run test:interop installs them)`;

/** Generates the Python stubs (idempotent; quick when they are up to date). */
export function prepareCCore(): void {
  execFileSync("bash", [resolve(REPO_ROOT, "interop/python/setup.sh")], { stdio: "inherit" });
}

/** `--channel_arg=NAME=VALUE` flags for the Python peers. */
export function channelArgs(args: Record<string, number>): string[] {
  return Object.entries(args).map(([name, value]) => `--channel_arg=${name}=${value}`);
}
