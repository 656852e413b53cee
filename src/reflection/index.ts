/**
 * gRPC server reflection, `grpc.reflection.v1` and `grpc.reflection.v1alpha`,
 * for grpcurl, `buf curl`, Postman, grpcui and the `tsgrpc` command.
 *
 * ```ts
 * import { createServer } from "tsgrpc";
 * import { createReflectionService } from "tsgrpc/reflection";
 *
 * const server = createServer().service(UserService, users);
 * createReflectionService().register(server);   // describes every service of `server`
 * ```
 *
 * @module
 */

export { createReflectionService } from "./reflection-service.js";
export type { ReflectionService, ReflectionServiceOptions } from "./reflection-service.js";
export type { ServiceRegistrar, ServiceInfoProvider } from "../server/service-registrar.js";
export { ServerReflection as ServerReflectionV1, file_grpc_reflection_v1_reflection } from "./gen/grpc/reflection/v1/reflection_pb.js";
export { ServerReflection as ServerReflectionV1Alpha, file_grpc_reflection_v1alpha_reflection } from "./gen/grpc/reflection/v1alpha/reflection_pb.js";
