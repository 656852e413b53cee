import type { Duplex } from "node:stream";
import type { Router } from "./router.js";
import type { ServerCallSettings } from "./server-call.js";
import type { ConnectionCounters } from "./connection-manager.js";

/**
 * What tsgrpc's own modules (the test transports of `tsgrpc/testing`) may
 * reach of a server beyond its public interface: its methods and call
 * settings, and a way to hand it a connection that did not come from a
 * listening socket. Kept beside the server, not on it, so that it stays
 * out of the public type.
 */
export interface ServerInternals {
  readonly router: Router;
  readonly callSettings: ServerCallSettings;
  /** Serves HTTP/2 on `connection` (plain text) as if it had been accepted by a listener. */
  acceptHttp2(connection: Duplex): void;
  /** Whether `close()` has been called. */
  readonly closing: boolean;
  /** What the connection manager did (GOAWAYs sent and why, PINGs, timeouts): for tests. */
  readonly connectionCounters: ConnectionCounters;
}

const internals = new WeakMap<object, ServerInternals>();

/** Records the internals of `server` (in `createServer`). */
export function setServerInternals(server: object, value: ServerInternals): void {
  internals.set(server, value);
}

/** The internals of a server made by `createServer`; a TypeError for anything else. */
export function serverInternals(server: object, caller: string): ServerInternals {
  const found = internals.get(server);
  if (!found) throw new TypeError(`${caller}: expected a server made by createServer()`);
  return found;
}
