import type { DescService } from "@bufbuild/protobuf";
import type { ServiceImpl } from "./service-impl.js";

/**
 * What the health and reflection services need of a server: a way to
 * register a service, and (optionally) to hear when shutdown starts. A
 * tsgrpc `Server` is one; so is anything else with these methods.
 */
export interface ServiceRegistrar {
  /** Registers the handlers of `service`. */
  service<S extends DescService>(service: S, impl: ServiceImpl<S>): unknown;
  /** Calls `listener` once when the server starts shutting down. */
  onShutdown?(listener: () => void): unknown;
}

/** What the reflection service lists: the services registered so far, read at each request. */
export interface ServiceInfoProvider {
  readonly services: readonly DescService[];
}
