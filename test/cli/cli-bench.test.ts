// tsgrpc bench against a server with a known delay: the JSON report's shape
// and figures, --rps, --duration, --connections, and failures by status.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "../../src/index.js";
import { createReflectionService } from "../../src/reflection/index.js";
import { EchoService } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { echoService } from "../e2e/echo-service.js";
import type { BenchJson } from "../../src/cli/bench/bench-report.js";
import { cli } from "./cli-harness.js";

let server: Server;
let target = "";
const peers = new Set<string>();
before(async () => {
  server = createServer({
    interceptors: [
      (next) => (req) => {
        if (req.method.parent.typeName === EchoService.typeName) peers.add(req.context!.peer);
        return next(req);
      },
    ],
  }).service(EchoService, echoService());
  createReflectionService().register(server);
  target = `127.0.0.1:${(await server.listen("127.0.0.1:0")).port}`;
});
after(() => server.close({ graceMs: 100 }));

async function bench(args: string[]): Promise<BenchJson> {
  const res = await cli(["bench", target, "tsgrpc.test.v1.EchoService/Unary", "--format", "json", ...args]);
  assert.equal(res.code, 0, res.err);
  return JSON.parse(res.out) as BenchJson;
}

test("--total: every call counted, latencies at least the server's delay, a consistent report", { timeout: 30_000 }, async () => {
  const r = await bench(["-d", '{"sleepMs":20}', "-n", "60", "-c", "6"]);
  assert.equal(r.count, 60);
  assert.deepEqual(r.statuses, { OK: 60 });
  assert.deepEqual(r.errors, {});
  assert.equal(r.concurrency, 6);
  assert.equal(r.connections, 1);
  assert.equal(r.method, "tsgrpc.test.v1.EchoService/Unary");
  const l = r.latencyMs;
  assert.ok(l.min >= 19.5, `min ${l.min}`);
  assert.ok(l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max, JSON.stringify(l));
  assert.ok(l.mean >= l.min && l.mean <= l.max);
  // 6 workers each waiting >= 20 ms per call cannot exceed 300 calls/s.
  assert.ok(r.callsPerSecond > 0 && r.callsPerSecond <= 300, `${r.callsPerSecond}`);
  assert.ok(Math.abs(r.callsPerSecond - (r.count / r.totalMs) * 1000) < 1);
  assert.equal(r.histogram.length, 10);
  assert.equal(r.histogram.reduce((a, b) => a + b.count, 0), 60);
  assert.equal(r.histogram.at(-1)!.upperMs, l.max);
  assert.equal(r.threads, 1);
  assert.ok(typeof r.clientCpuPercent === "number" && r.clientCpuPercent > 0, `${r.clientCpuPercent}`);
});

test("--duration with --rps paces the calls; --connections opens that many connections", { timeout: 30_000 }, async () => {
  peers.clear();
  const r = await bench(["-d", "{}", "--duration", "1s", "--rps", "40", "-c", "4", "--connections", "3"]);
  // 40 calls/s for one second: the slots at 0, 25, ..., 975 ms.
  assert.ok(r.count >= 30 && r.count <= 40, `count ${r.count}`);
  assert.equal(r.rps, 40);
  assert.equal(peers.size, 3, `peers: ${[...peers].join(", ")}`);
});

test("--cpus spreads the connections over worker threads and merges what they measured", { timeout: 30_000 }, async () => {
  peers.clear();
  const r = await bench(["-d", '{"sleepMs":5}', "-n", "41", "-c", "4", "--connections", "2", "--cpus", "2"]);
  assert.deepEqual([r.count, r.statuses, r.threads], [41, { OK: 41 }, 2]);
  assert.equal(r.histogram.reduce((a, b) => a + b.count, 0), 41);
  assert.ok(r.latencyMs.min >= 4.5, `min ${r.latencyMs.min}`);
  assert.equal(peers.size, 2);
  const tooMany = await cli(["bench", target, "tsgrpc.test.v1.EchoService/Unary", "--cpus", "3", "--connections", "2"]);
  assert.match(tooMany.err, /--cpus cannot exceed --connections/);
});

test("failures are counted by status code and message", { timeout: 30_000 }, async () => {
  const r = await bench(["-d", '{"failCode":8,"failMessage":"slow down"}', "-n", "20", "-c", "2"]);
  assert.deepEqual(r.statuses, { RESOURCE_EXHAUSTED: 20 });
  assert.deepEqual(r.errors, { "RESOURCE_EXHAUSTED: slow down": 20 });
  const late = await bench(["-d", '{"sleepMs":2000}', "-n", "4", "-c", "2", "--timeout", "50ms"]);
  assert.deepEqual(late.statuses, { DEADLINE_EXCEEDED: 4 });
  // A server that cannot be reached ends the run before it starts.
  const down = await cli(["bench", "127.0.0.1:1", "tsgrpc.test.v1.EchoService/Unary", "--timeout", "5s"]);
  assert.equal(down.code, 14);
});

test("the text report: summary, histogram, distribution, statuses", { timeout: 30_000 }, async () => {
  const res = await cli(["bench", target, "tsgrpc.test.v1.EchoService/Unary", "-n", "30", "-c", "3"]);
  assert.equal(res.code, 0, res.err);
  for (const re of [/Count:\s+30/, /Calls\/sec:/, /Client CPU:\s+\d+% of a core/, /Latency histogram:\n(\s+\d+\.\d+ \[\s*\d+\] \|∎*\n){10}/, /99\.9 %  in/, /\[OK\]   30 calls/]) assert.match(res.out, re);
  // On a terminal, a progress line is redrawn in place while the run lasts, and cleared before the report.
  const live = await cli(["bench", target, "tsgrpc.test.v1.EchoService/Unary", "--duration", "700ms", "-c", "2", "--rps", "50"], "", true);
  assert.match(live.err, /\r\x1b\[K\[0\.\ds\] \d+ calls, \d+\/s, 0 errors/);
  assert.ok(live.err.endsWith("\r\x1b[K"), JSON.stringify(live.err.slice(-20)));
  const bad = await cli(["bench", target, "tsgrpc.test.v1.EchoService/Unary", "--duration", "1s", "-n", "5"]);
  assert.equal(bad.code, 64);
  const conns = await cli(["bench", target, "tsgrpc.test.v1.EchoService/Unary", "-c", "2", "--connections", "3"]);
  assert.match(conns.err, /--connections cannot exceed --concurrency/);
});
