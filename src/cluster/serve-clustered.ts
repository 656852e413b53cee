import cluster, { type Worker } from "node:cluster";
import { availableParallelism } from "node:os";

/** What `start` returns: something that drains its calls and closes, like a tsgrpc `Server`. */
export interface ClusterWorkerServer {
  close(options?: { graceMs?: number }): Promise<void>;
}

/** Options of `serveClustered`. */
export interface ServeClusteredOptions {
  /** Worker processes to run. Default `os.availableParallelism()`. */
  workers?: number;
  /**
   * Runs in each worker: creates the server and listens (`createServer(...)
   * .listen(...)`), resolving once it listens. Every worker listening on the
   * same address shares one socket: the primary accepts connections and
   * hands them to workers in turn.
   */
  start: () => Promise<ClusterWorkerServer>;
  /** Passed to each worker's `server.close()` at shutdown. Default: the server's own (10,000 ms for tsgrpc). */
  graceMs?: number;
  /** Signals that shut the cluster down gracefully. Default `["SIGTERM", "SIGINT"]`. */
  signals?: NodeJS.Signals[];
}

/** Message a worker sends the primary once its server listens. */
const LISTENING = "tsgrpc:cluster:listening";
/** Message the primary sends each worker to make it drain and exit. */
const SHUTDOWN = "tsgrpc:cluster:shutdown";
/** How long the primary waits beyond `graceMs` before it kills a worker that has not exited. */
const KILL_AFTER_GRACE_MS = 5000;
const DEFAULT_GRACE_MS = 10_000;

/**
 * Serves one port from several processes with `node:cluster`. Call it at the
 * top level of your server's entry module: the same module runs in the
 * primary and in each worker.
 *
 * In the primary, it forks the workers and resolves once every one of them
 * listens; it rejects (after stopping the others) if a worker exits or its
 * `start` fails before that. A worker that dies later is replaced, unless its
 * replacement cannot start either, which shuts the cluster down.
 *
 * Shutdown: one of `signals` to the primary (to a worker too, as when a
 * terminal's Ctrl-C or a service manager signals every process) makes every
 * worker call `server.close({ graceMs })`, which stops accepting and lets the
 * calls in flight finish, then exit. The primary exits once every worker has:
 * with code 0 if every worker closed cleanly, 1 if one failed or had to be
 * killed after `graceMs` plus 5 s.
 *
 * In a worker, it runs `start` and resolves once the server listens.
 *
 * ```ts
 * await serveClustered({
 *   workers: 4,
 *   start: async () => {
 *     const server = createServer().service(UserService, users);
 *     await server.listen("0.0.0.0:50051");
 *     return server;
 *   },
 * });
 * ```
 */
export async function serveClustered(options: ServeClusteredOptions): Promise<void> {
  const workers = options.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 1) throw new TypeError(`serveClustered: workers must be a positive integer, not ${workers}`);
  if (typeof options.start !== "function") throw new TypeError("serveClustered: start must be a function");
  if (options.graceMs !== undefined && !(Number.isFinite(options.graceMs) && options.graceMs >= 0)) {
    throw new TypeError(`serveClustered: graceMs must be a number >= 0, not ${options.graceMs}`);
  }
  const signals = options.signals ?? ["SIGTERM", "SIGINT"];
  if (cluster.isPrimary) return runPrimary(workers, options.graceMs ?? DEFAULT_GRACE_MS, signals);
  return runWorker(options, signals);
}

async function runWorker(options: ServeClusteredOptions, signals: NodeJS.Signals[]): Promise<void> {
  let server: ClusterWorkerServer | undefined;
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const closed = server ? server.close(options.graceMs === undefined ? undefined : { graceMs: options.graceMs }) : Promise.resolve();
    closed.then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  // Installed before start: a signal during start-up exits at once, as nothing is in flight yet.
  for (const signal of signals) process.on(signal, stop);
  process.on("message", (message) => {
    if (message === SHUTDOWN) stop();
  });
  // The primary is gone (killed): nobody will ask for a shutdown any more.
  process.on("disconnect", stop);
  server = await options.start();
  process.send?.(LISTENING);
}

function runPrimary(count: number, graceMs: number, signals: NodeJS.Signals[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const listening = new Set<Worker>();
    const live = new Set<Worker>();
    let startedUp = false;
    let shuttingDown = false;
    let failed = false;

    const shutdown = (): void => {
      if (shuttingDown) return;
      shuttingDown = true;
      for (const worker of live) {
        // A worker that already exited or lost its channel needs no message.
        if (worker.isConnected()) worker.send(SHUTDOWN, () => {});
      }
      const killer = setTimeout(() => {
        for (const worker of live) {
          failed = true;
          worker.process.kill("SIGKILL");
        }
      }, graceMs + KILL_AFTER_GRACE_MS);
      killer.unref();
      maybeDone();
    };

    const maybeDone = (): void => {
      if (!shuttingDown || live.size > 0) return;
      for (const signal of signals) process.off(signal, shutdown);
      if (!startedUp) {
        reject(new Error("serveClustered: a worker stopped before it listened"));
        // Set after the rejection so that a caller's handler can still choose.
        process.exitCode ??= 1;
        return;
      }
      process.exit(failed ? 1 : 0);
    };

    const fork = (): void => {
      const worker = cluster.fork();
      live.add(worker);
      worker.on("message", (message) => {
        if (message !== LISTENING) return;
        listening.add(worker);
        if (shuttingDown) {
          worker.send(SHUTDOWN, () => {});
        } else if (!startedUp && listening.size === count) {
          startedUp = true;
          resolve();
        }
      });
      worker.on("exit", (code, signal) => {
        live.delete(worker);
        const wasListening = listening.delete(worker);
        if (shuttingDown) {
          if (code !== 0 || signal) failed = true;
        } else if (wasListening) {
          // Died while serving: replace it.
          fork();
        } else {
          // Could not start: another try would fail the same way.
          failed = true;
          shutdown();
        }
        maybeDone();
      });
    };

    for (const signal of signals) process.on(signal, shutdown);
    for (let i = 0; i < count; i++) fork();
  });
}
