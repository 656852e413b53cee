/**
 * gRPC health checking (`grpc.health.v1.Health`: `Check`, `List`, `Watch`),
 * as Kubernetes probes, Envoy and load balancers expect it.
 *
 * ```ts
 * import { createServer } from "tsgrpc";
 * import { createHealthService } from "tsgrpc/health";
 *
 * const server = createServer().service(UserService, users);
 * const health = createHealthService();      // "" (the server) starts SERVING
 * health.register(server);                   // NOT_SERVING as soon as server.close() starts
 * health.setStatus("users.v1.UserService", "SERVING");
 * ```
 *
 * To ask a server about its health, use a client of `Health`:
 * `createClient(Health, channel).check({ service: "" })`.
 *
 * @module
 */

export { createHealthService } from "./health-service.js";
export type { HealthService, HealthServiceOptions, ServingStatus } from "./health-service.js";
export type { ServiceRegistrar } from "../server/service-registrar.js";
export {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus,
  HealthListRequestSchema,
  HealthListResponseSchema,
  file_grpc_health_v1_health,
} from "./gen/grpc/health/v1/health_pb.js";
export type { HealthCheckRequest, HealthCheckResponse, HealthListRequest, HealthListResponse } from "./gen/grpc/health/v1/health_pb.js";
