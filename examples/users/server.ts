// The example server: `npm start` (PORT overrides the default 50051).
import { createServer } from "../../src/index.js";
import { FileService, UserService } from "./gen/users/v1/users_pb.js";
import { fileService, type StoredFile } from "./file-service.js";
import { createUserStore, userService } from "./user-service.js";

const port = Number(process.env.PORT ?? 50051);
const host = process.env.HOST ?? "127.0.0.1";

// REST/JSON transcoding of the google.api.http rules is on by default; this also serves their OpenAPI document.
const server = createServer({ rest: { openApiPath: "/openapi.json" } })
  .service(UserService, userService(createUserStore()))
  .service(FileService, fileService(new Map<string, StoredFile>()));

const address = await server.listen({ host, port });
console.log(`users example listening on ${address.host}:${address.port} (Ctrl-C stops it)`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.log("shutting down gracefully…");
    void server.close({ graceMs: 5000 }).then(() => process.exit(0));
  });
}
