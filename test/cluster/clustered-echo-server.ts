// A clustered EchoService for serve-clustered.test.ts: the primary forks
// `--workers` workers that each listen on 127.0.0.1 and the same port
// (`--port`, 0 for one the primary picks for all). Unary answers carry the
// answering worker's pid as their payload and sleep `sleep_ms` first; the
// tag "crash" makes the worker exit, `--fail-start` makes start() fail.
// Workers print "listening <port> <pid>" and "started <tag> <pid>" lines; the
// primary prints "ready" once every worker listens.
import cluster from "node:cluster";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { serveClustered } from "../../src/cluster/index.js";
import { createServer } from "../../src/index.js";
import { EchoService } from "../gen/tsgrpc/test/v1/echo_pb.js";

const { values } = parseArgs({
  options: {
    workers: { type: "string", default: "2" },
    port: { type: "string", default: "0" },
    "fail-start": { type: "boolean", default: false },
  },
});

await serveClustered({
  workers: Number(values.workers),
  graceMs: 8000,
  start: async () => {
    if (values["fail-start"]) throw new Error("this worker cannot start");
    const server = createServer().service(EchoService, {
      async unary(request) {
        if (request.tag === "crash") process.exit(3);
        if (request.tag) console.log(`started ${request.tag} ${process.pid}`);
        // Not cut short by the signal: a graceful close lets calls in flight finish.
        if (request.sleepMs > 0) await sleep(request.sleepMs);
        return { payload: new TextEncoder().encode(String(process.pid)) };
      },
    });
    const { port } = await server.listen({ host: "127.0.0.1", port: Number(values.port) });
    console.log(`listening ${port} ${process.pid}`);
    return server;
  },
});
// serveClustered resolves in workers too, once their server listens.
if (cluster.isPrimary) console.log("ready");
