import type { HandlerContext } from "../server/handler-context.js";
import type { ServiceImpl } from "../server/service-impl.js";
import type { ServiceRegistrar } from "../server/service-registrar.js";
import { RpcError } from "../status/rpc-error.js";
import { Code } from "../status/code.js";
import {
  Health,
  HealthCheckResponse_ServingStatus as Wire,
  type HealthCheckRequest,
} from "./gen/grpc/health/v1/health_pb.js";

/** What a service reports to health checks. */
export type ServingStatus = "SERVING" | "NOT_SERVING";

/** Options of `createHealthService`. */
export interface HealthServiceOptions {
  /**
   * Statuses to start with, by service name; `""` is the server as a whole.
   * Default `{ "": "SERVING" }`.
   */
  statuses?: Record<string, ServingStatus>;
  /**
   * Most services `List` answers with before it fails with
   * RESOURCE_EXHAUSTED, as the protocol allows. Default 100.
   */
  maxListedServices?: number;
}

/**
 * The `grpc.health.v1.Health` service (gRPC's doc/health-checking.md): `Check`,
 * `List` and `Watch`, with statuses the application sets.
 */
export interface HealthService {
  /**
   * Registers `grpc.health.v1.Health` on `server` and, when the server has
   * `onShutdown`, reports every service NOT_SERVING as soon as it starts to
   * close (and ends open `Watch` calls after telling them), so that load
   * balancers stop sending calls while the server drains.
   */
  register(server: ServiceRegistrar): void;
  /** Sets the status of `service` (`""` for the server); `Watch` calls see the change. */
  setStatus(service: string, status: ServingStatus): void;
  /** Forgets `service`: `Check` answers NOT_FOUND and `Watch` SERVICE_UNKNOWN. */
  clearStatus(service: string): void;
  /** The status `Check` reports for `service` now, or undefined for an unknown one. */
  getStatus(service: string): ServingStatus | undefined;
  /**
   * Reports NOT_SERVING for every service until `resume()`, whatever
   * `setStatus` says meanwhile (it is remembered). `register` calls it when
   * the server starts to close.
   */
  shutdown(): void;
  /** Reports the statuses set with `setStatus` again, after `shutdown()`. */
  resume(): void;
  /** The service definition and its handlers, to register by hand (`server.service(h.definition, h.impl)`). */
  readonly definition: typeof Health;
  readonly impl: ServiceImpl<typeof Health>;
}

interface Watcher {
  readonly service: string;
  wake: (() => void) | undefined;
  ended: boolean;
}

/**
 * Creates a health service. Statuses live in memory; nothing is read from
 * disk.
 *
 * ```ts
 * import { createHealthService } from "tsgrpc/health";
 *
 * const health = createHealthService();
 * health.register(server);
 * health.setStatus("users.v1.UserService", "SERVING");
 * ```
 */
export function createHealthService(options: HealthServiceOptions = {}): HealthService {
  const wanted = new Map<string, ServingStatus>();
  for (const [name, status] of Object.entries(options.statuses ?? { "": "SERVING" })) {
    wanted.set(name, checkStatus(status, "createHealthService"));
  }
  const maxListed = options.maxListedServices ?? 100;
  if (!Number.isInteger(maxListed) || maxListed < 0) throw new TypeError("createHealthService: maxListedServices must be a non-negative integer");
  const watchers = new Set<Watcher>();
  let down = false;

  const current = (service: string): ServingStatus | undefined => {
    const status = wanted.get(service);
    return status === undefined ? undefined : down ? "NOT_SERVING" : status;
  };
  const notify = (service?: string) => {
    for (const w of watchers) {
      if (service === undefined || w.service === service) w.wake?.();
    }
  };
  const wireStatus = (service: string): Wire => {
    const status = current(service);
    return status === undefined ? Wire.SERVICE_UNKNOWN : Wire[status];
  };

  const impl: ServiceImpl<typeof Health> = {
    check(request: HealthCheckRequest) {
      const status = current(request.service);
      if (status === undefined) throw new RpcError(Code.NOT_FOUND, `unknown service "${request.service}"`);
      return { status: Wire[status] };
    },
    list() {
      if (wanted.size > maxListed) {
        throw new RpcError(Code.RESOURCE_EXHAUSTED, `${wanted.size} services exceed the ${maxListed} that List reports`);
      }
      const statuses: Record<string, { status: Wire }> = {};
      for (const name of wanted.keys()) statuses[name] = { status: wireStatus(name) };
      return { statuses };
    },
    watch(request: HealthCheckRequest, ctx: HandlerContext) {
      return watch(request.service, ctx.signal);
    },
  };

  async function* watch(service: string, signal: AbortSignal): AsyncGenerator<{ status: Wire }> {
    const w: Watcher = { service, wake: undefined, ended: false };
    watchers.add(w);
    try {
      let sent: Wire | undefined;
      while (!signal.aborted) {
        const status = wireStatus(service);
        if (status !== sent) {
          sent = status;
          yield { status };
          continue;
        }
        // Only the latest status matters: a slow reader skips the ones in between.
        if (w.ended) return;
        await new Promise<void>((resolve) => {
          const done = () => {
            signal.removeEventListener("abort", done);
            w.wake = undefined;
            resolve();
          };
          w.wake = done;
          signal.addEventListener("abort", done);
        });
      }
    } finally {
      watchers.delete(w);
    }
  }

  const health: HealthService = {
    definition: Health,
    impl,
    register(server) {
      server.service(Health, impl);
      server.onShutdown?.(() => {
        health.shutdown();
        // A watch would otherwise hold the server's graceful close open.
        for (const w of watchers) {
          w.ended = true;
          w.wake?.();
        }
      });
    },
    setStatus(service, status) {
      checkService(service, "setStatus");
      wanted.set(service, checkStatus(status, "setStatus"));
      notify(service);
    },
    clearStatus(service) {
      checkService(service, "clearStatus");
      wanted.delete(service);
      notify(service);
    },
    getStatus(service) {
      return current(service);
    },
    shutdown() {
      down = true;
      notify();
    },
    resume() {
      down = false;
      notify();
    },
  };
  return health;
}

function checkStatus(status: unknown, where: string): ServingStatus {
  if (status !== "SERVING" && status !== "NOT_SERVING") throw new TypeError(`${where}: status must be "SERVING" or "NOT_SERVING", not ${JSON.stringify(status)}`);
  return status;
}

function checkService(service: unknown, where: string): void {
  if (typeof service !== "string") throw new TypeError(`${where}: the service name must be a string ("" for the server)`);
}
