/**
 * Writes the pre-framed UnaryCall request that `run.ts` gives h2load, for
 * measuring a bench server with another load generator:
 *
 *   cd bench && node --import tsx request-file.ts --response-size=1024 > request-1k.bin
 *   h2load -c 4 -m 32 -D 10 -d request-1k.bin -H 'content-type: application/grpc' -H 'te: trailers' \
 *     http://127.0.0.1:50051/grpc.testing.BenchmarkService/UnaryCall
 */
import { parseArgs } from "node:util";
import { frame } from "./lib/envelope.js";
import { requestBytes } from "./lib/messages.js";

const { values } = parseArgs({ options: { "response-size": { type: "string", default: "0" } } });
process.stdout.write(frame(requestBytes(Number(values["response-size"]))));
