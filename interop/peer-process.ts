/**
 * Runs interop programs as child processes: servers that print
 * `listening on HOST:PORT`, and clients that exit 0 on a passed case.
 * Every wait is bounded; every process started here is stopped by the caller
 * through the returned handle (or killed when its time is up).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { TEST_SERVER_NAME } from "./certs.js";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Debian's Python, which has python3-grpcio (not whatever python3 is first on PATH). */
export const SYSTEM_PYTHON = "/usr/bin/python3";

export type PeerName = "tsgrpc" | "grpc-js" | "python";

const tsx = (file: string) => [process.execPath, "--import", "tsx", resolve(REPO_ROOT, file)];

export const SERVER_COMMANDS: Record<PeerName, string[]> = {
  tsgrpc: tsx("interop/server.ts"),
  "grpc-js": tsx("interop/grpc-js/server.ts"),
  python: [SYSTEM_PYTHON, resolve(REPO_ROOT, "interop/python/server.py")],
};

export const CLIENT_COMMANDS: Record<PeerName, string[]> = {
  tsgrpc: tsx("interop/client.ts"),
  "grpc-js": tsx("interop/grpc-js/client.ts"),
  python: [SYSTEM_PYTHON, resolve(REPO_ROOT, "interop/python/client.py")],
};

/** Client flags for a TLS run against the test certificates. */
export const CLIENT_TLS_FLAGS = ["--use_tls=true", "--use_test_ca=true", `--server_host_override=${TEST_SERVER_NAME}`];

export interface ServerProcess {
  port: number;
  /** Everything the server printed so far. */
  output(): string;
  stop(): Promise<void>;
  /** Sends `signal` (SIGKILL, a crash, by default) and resolves when the server has exited: for failover tests. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

function stopChild(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      done();
    });
    child.kill("SIGTERM");
  });
}

/** Starts a server on a free port and waits (at most `timeoutMs`) for its port. */
export function startServerProcess(
  peer: PeerName,
  opts: { useTls?: boolean; timeoutMs?: number; extraFlags?: string[] } = {},
): Promise<ServerProcess> {
  const [cmd, ...args] = SERVER_COMMANDS[peer];
  args.push("--port=0");
  if (opts.useTls) args.push("--use_tls=true");
  args.push(...(opts.extraFlags ?? []));
  const child = spawn(cmd!, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (out += s));
  return new Promise((resolvePromise, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      void stopChild(child).then(() => reject(new Error(`${peer} server ${why}:\n${out}`)));
    };
    const timer = setTimeout(() => fail(`did not report its port within ${opts.timeoutMs ?? 20_000} ms`), opts.timeoutMs ?? 20_000);
    child.once("exit", (code, sig) => fail(`exited (${code ?? sig}) before listening`));
    child.once("error", (e) => fail(`could not start: ${e.message}`));
    const onData = () => {
      const m = /listening on \S*:(\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      child.removeAllListeners("exit");
      resolvePromise({
        port: Number(m[1]),
        output: () => out,
        stop: () => stopChild(child),
        kill: (signal = "SIGKILL") => {
          if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
          const exited = new Promise<void>((done) => child.once("exit", () => done()));
          child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout!.on("data", onData);
  });
}

export interface ClientResult {
  ok: boolean;
  /** The client's output, trimmed: for a failure, what differed. */
  output: string;
  durationMs: number;
}

/** Runs one client case to completion, killing it after `timeoutMs`. */
export function runClientProcess(
  peer: PeerName,
  opts: { port: number; testCase: string; useTls?: boolean; timeoutMs?: number; extraFlags?: string[] },
): Promise<ClientResult> {
  const [cmd, ...args] = CLIENT_COMMANDS[peer];
  args.push("--server_host=127.0.0.1", `--server_port=${opts.port}`, `--test_case=${opts.testCase}`);
  if (opts.useTls) args.push(...CLIENT_TLS_FLAGS);
  args.push(...(opts.extraFlags ?? []));
  const started = performance.now();
  const child = spawn(cmd!, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (out += s));
  const timeoutMs = opts.timeoutMs ?? 90_000;
  return new Promise((done) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.once("error", (e) => (out += `\ncould not start: ${e.message}`));
    child.once("close", (code) => {
      clearTimeout(timer);
      const durationMs = performance.now() - started;
      if (timedOut) out += `\nkilled after ${timeoutMs} ms`;
      done({ ok: code === 0 && !timedOut, output: out.trim(), durationMs });
    });
  });
}
