// One backend of the soak test: the EchoService on the port given, until killed.
import { createServer } from "../../src/index.js";
import { EchoService, echoService } from "../e2e/echo-service.js";

const port = Number(process.argv[2]);
const server = createServer().service(EchoService, echoService());
await server.listen(`127.0.0.1:${port}`);
process.stdout.write("listening\n");
process.on("SIGTERM", () => void server.close({ graceMs: 2000 }).then(() => process.exit(0)));
