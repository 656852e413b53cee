// The example server: `npm start` (PORT overrides the default 50051).
import { createUsersServer } from "./users-server.js";

const port = Number(process.env.PORT ?? 50051);
const host = process.env.HOST ?? "127.0.0.1";

// REST/JSON transcoding of the google.api.http rules is on by default; this also serves their OpenAPI document.
const { server } = createUsersServer({ rest: { openApiPath: "/openapi.json" } });
const address = await server.listen({ host, port });
console.log(`users example listening on ${address.host}:${address.port} (Ctrl-C stops it)`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.log("shutting down gracefully…");
    void server.close({ graceMs: 5000 }).then(() => process.exit(0));
  });
}
