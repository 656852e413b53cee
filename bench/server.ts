/**
 * Start one implementation's BenchmarkService server alone, for our driver or
 * for any other load generator:
 *
 *   npm run bench:server -- --impl=tsgrpc --port=50051
 *
 * --impl: tsgrpc | grpc-js | connect | raw | raw-protobuf; --host (default 127.0.0.1);
 * --port (default 50051, 0 = any free port); --response-size: payload bytes
 * of every answer of the raw bound, which reads no requests (default 0).
 * Prints "listening <impl> <host>:<port>" when ready; stops on SIGINT/SIGTERM.
 */
import { parseArgs } from "node:util";
import { IMPLS, isImpl, startServer } from "./lib/implementations.js";
import { serveSamples } from "./lib/memory-reporter.js";

const { values } = parseArgs({
  options: {
    impl: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "50051" },
    "response-size": { type: "string", default: "0" },
  },
});
const impl = values.impl ?? "";
if (!isImpl(impl)) {
  console.error(`--impl must be one of ${IMPLS.join(", ")}`);
  process.exit(2);
}
const server = await startServer(impl, {
  host: values.host!,
  port: Number(values.port),
  rawResponseSize: Number(values["response-size"]),
});
serveSamples();
console.log(`listening ${impl} ${values.host}:${server.port}`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  server.close().then(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
process.on("disconnect", stop);
