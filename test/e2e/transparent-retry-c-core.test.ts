// Transparent retry against gRPC C-core (Debian's python3-grpcio; CI
// installs it, the test is skipped without it): a C-core server that rotates
// its connections (max_connection_age) closes each in two GOAWAYs and refuses
// the streams that arrive after the last one. Those were never processed and
// must go, transparently, to the next connection.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { createChannel, createClient } from "../../src/index.js";
import { SYSTEM_PYTHON } from "../../interop/peer-process.js";
import { EchoService } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { assertNoLeaks } from "./leak-check.js";

function hasPythonGrpc(): boolean {
  try {
    execFileSync(SYSTEM_PYTHON, ["-c", "import grpc"], { stdio: "ignore", timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

// EchoService.Unary on C-core, answering every request with an empty
// response and counting them; prints its port, and the count when stopped.
const echoServer = `
import sys, signal, threading, grpc
from concurrent import futures
count = 0
lock = threading.Lock()
def unary(request, context):
    global count
    with lock:
        count += 1
    return b""
handler = grpc.method_handlers_generic_handler("tsgrpc.test.v1.EchoService", {"Unary": grpc.unary_unary_rpc_method_handler(unary)})
options = [("grpc.max_connection_age_ms", int(sys.argv[1])), ("grpc.max_connection_age_grace_ms", 60000)]
server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), options=options)
server.add_generic_rpc_handlers((handler,))
port = server.add_insecure_port("127.0.0.1:0")
server.start()
print("listening on %d" % port, flush=True)
stopped = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stopped.set())
stopped.wait()
server.stop(grace=None)
print("handled %d" % count, flush=True)
`;

async function startCCoreServer(maxConnectionAgeMs: number) {
  const child = spawn(SYSTEM_PYTHON, ["-c", echoServer, String(maxConnectionAgeMs)], { stdio: ["ignore", "pipe", "inherit"] });
  let handled: number | undefined;
  let listening!: (port: number) => void;
  const port = new Promise<number>((resolve) => (listening = resolve));
  createInterface({ input: child.stdout }).on("line", (line) => {
    const bound = /^listening on (\d+)$/.exec(line);
    if (bound) listening(Number(bound[1]));
    const count = /^handled (\d+)$/.exec(line);
    if (count) handled = Number(count[1]);
  });
  const exited = once(child, "exit");
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return {
    port: await port,
    /** Stops the server; resolves with the number of calls its handler took. */
    async stop(): Promise<number | undefined> {
      child.kill("SIGTERM");
      await exited;
      clearTimeout(timer);
      return handled;
    },
  };
}

test(
  "C-core server rotating its connections every 200 ms: 16 loops of calls for 2 s lose none, and none is processed twice",
  { skip: hasPythonGrpc() ? false : "needs Debian's python3-grpcio", timeout: 60_000 },
  async () => {
    const server = await startCCoreServer(200);
    const channel = createChannel(`http://127.0.0.1:${server.port}`);
    const client = createClient(EchoService, channel);
    const until = Date.now() + 2000;
    let ok = 0;
    const failures: string[] = [];
    try {
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (Date.now() < until) {
            try {
              await client.unary({ tag: "age" }, { timeoutMs: 10_000 });
              ok++;
            } catch (e) {
              failures.push(String(e));
            }
          }
        }),
      );
    } finally {
      channel.close();
    }
    const handled = await server.stop();
    assert.deepEqual(failures, []);
    assert.equal(handled, ok, "a call was processed twice");
    assert.ok(ok > 50, `only ${ok} calls completed`);
    await assertNoLeaks();
  },
);
