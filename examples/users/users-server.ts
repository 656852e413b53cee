import { createServer, type Server, type ServerOptions } from "../../src/index.js";
import { createHealthService, type HealthService } from "../../src/health/index.js";
import { createReflectionService } from "../../src/reflection/index.js";
import { FileService, UserService } from "./gen/users/v1/users_pb.js";
import { fileService, type StoredFile } from "./file-service.js";
import { createUserStore, userService } from "./user-service.js";

/**
 * The example server, not yet listening: UserService and FileService, with
 * health checks (NOT_SERVING as soon as shutdown starts) and reflection, so
 * that grpcurl, buf curl and `tsgrpc` can call it with no .proto at hand.
 */
export function createUsersServer(options: ServerOptions = {}): { server: Server; health: HealthService } {
  const server = createServer(options)
    .service(UserService, userService(createUserStore()))
    .service(FileService, fileService(new Map<string, StoredFile>()));
  const health = createHealthService({ statuses: { "": "SERVING", [UserService.typeName]: "SERVING", [FileService.typeName]: "SERVING" } });
  health.register(server);
  createReflectionService().register(server);
  return { server, health };
}
