// Child processes for the package test: every one bounded in time, every
// long-running one tracked so that the test can end it.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { delimiter, dirname, resolve, sep } from "node:path";

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

function tail(text: string, lines = 40): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Runs `file args` to completion; rejects with its output if it fails or outlives `timeoutMs`. */
export function run(file: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      file,
      args,
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, killSignal: "SIGKILL", maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (!error) return resolvePromise({ stdout, stderr });
        const why = error.killed ? `killed after ${options.timeoutMs} ms` : `exit ${String(error.code)}`;
        reject(new Error(`${[file, ...args].join(" ")} (in ${options.cwd}): ${why}\n--- stdout\n${tail(stdout)}\n--- stderr\n${tail(stderr)}`));
      },
    );
  });
}

export interface Background {
  /** The first match of the `ready` pattern on stdout. */
  ready: RegExpExecArray;
  /** Sends SIGTERM, waits up to `graceMs` for the exit, then kills. */
  stop(graceMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Children still running, for the test's teardown. */
const running = new Set<ChildProcess>();

/** Kills every child that `start` left running. */
export function killAll(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

/** Starts `file args` and waits until its stdout matches `ready`; rejects (and kills it) after `timeoutMs`. */
export function start(file: string, args: readonly string[], options: RunOptions & { ready: RegExp }): Promise<Background> {
  const child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once("close", (code, signal) => {
      running.delete(child);
      r({ code, signal });
    }),
  );
  const what = `${[file, ...args].join(" ")} (in ${options.cwd})`;

  return new Promise((resolvePromise, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.stdout.off("data", check);
      child.kill("SIGKILL");
      reject(new Error(`${what}: ${why}\n--- stdout\n${tail(stdout)}\n--- stderr\n${tail(stderr)}`));
    };
    const timer = setTimeout(() => fail(`not ready within ${options.timeoutMs} ms`), options.timeoutMs);
    const check = () => {
      const m = options.ready.exec(stdout);
      if (!m) return;
      clearTimeout(timer);
      child.stdout.off("data", check);
      resolvePromise({
        ready: m,
        async stop(graceMs) {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
          const killer = setTimeout(() => child.kill("SIGKILL"), graceMs);
          const end = await exited;
          clearTimeout(killer);
          return { ...end, stdout, stderr };
        },
      });
    };
    child.stdout.on("data", check);
    exited.then(({ code, signal }) => fail(`exited (${code ?? signal}) before it was ready`));
  });
}

/**
 * The environment for commands in a scratch project: this process's, less
 * what `npm test` adds for the repository (its package, its prefix, its
 * node_modules/.bin on PATH), with this Node first on PATH and npm offline.
 */
export function scratchEnv(repoRoot: string): NodeJS.ProcessEnv {
  const keep = new Set(["npm_config_cache", "npm_config_userconfig", "npm_config_globalconfig", "npm_config_registry"]);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    const lower = k.toLowerCase();
    if ((lower.startsWith("npm_") && !keep.has(lower)) || k === "INIT_CWD") continue;
    env[k] = v;
  }
  const root = resolve(repoRoot) + sep;
  const path = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((p) => p && !resolve(p).startsWith(root) && !p.includes(`${sep}node-gyp-bin`));
  env.PATH = [dirname(process.execPath), ...path].join(delimiter);
  env.npm_config_offline = "true";
  env.npm_config_audit = "false";
  env.npm_config_fund = "false";
  env.npm_config_update_notifier = "false";
  return env;
}
