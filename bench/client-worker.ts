/**
 * One client workload in its own process (the driver pins it to a core and
 * reads the single "RESULT {json}" line it prints). Running each client
 * alone keeps its CPU time and memory separate from the driver's.
 *
 *   node --import tsx client-worker.ts --impl=grpc-js --url=http://127.0.0.1:50051 \
 *     --workload=unary --concurrency=64 --duration-ms=10000 --warmup-ms=2000
 *
 * Workloads: unary, server-stream, client-stream, ping-pong, leak, open-streams.
 */
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import type { BenchClient } from "./clients/bench-client.js";
import { createBenchClient, isImpl } from "./lib/implementations.js";
import { sampleProcess, type ProcessSample } from "./lib/memory-reporter.js";
import { openStreams } from "./lib/open-streams.js";
import { round, summarize } from "./lib/stats.js";

const { values: args } = parseArgs({
  options: {
    impl: { type: "string", default: "raw" },
    url: { type: "string" },
    workload: { type: "string" },
    concurrency: { type: "string", default: "64" },
    "duration-ms": { type: "string", default: "10000" },
    "warmup-ms": { type: "string", default: "2000" },
    count: { type: "string", default: "100000" },
    calls: { type: "string", default: "1000000" },
    chunk: { type: "string", default: "100000" },
    "max-ms": { type: "string", default: "60000" },
    streams: { type: "string", default: "10000" },
    connections: { type: "string", default: "10" },
    "response-size": { type: "string", default: "100" },
    "payload-size": { type: "string", default: "100" },
  },
});
const num = (name: keyof typeof args): number => Number(args[name]);
const MAX_ERRORS = 100;

let errors = 0;
let firstError: string | undefined;
function failed(error: unknown): void {
  errors++;
  firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Tell the driver when the measured window opens and closes (it samples the server then). */
function phase(name: "start" | "end"): void {
  console.log(`PHASE ${name}`);
}

function cpuNow(): number {
  const cpu = process.cpuUsage();
  return cpu.user + cpu.system;
}

/** `concurrency` loops of back-to-back unary calls until `endAt` (performance.now() ms) or `calls` in total. */
async function unaryLoops(
  client: BenchClient,
  concurrency: number,
  endAt: number,
  calls: number,
  latencies?: number[],
): Promise<number> {
  let started = 0;
  let completed = 0;
  async function loop(): Promise<void> {
    while (started < calls && errors < MAX_ERRORS && performance.now() < endAt) {
      started++;
      const t0 = performance.now();
      try {
        await client.unary();
        latencies?.push((performance.now() - t0) * 1000);
        completed++;
      } catch (error) {
        failed(error);
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop));
  return completed;
}

async function unary(client: BenchClient): Promise<object> {
  const concurrency = num("concurrency");
  await unaryLoops(client, concurrency, performance.now() + num("warmup-ms"), Infinity);
  const latencies: number[] = [];
  phase("start");
  const cpu0 = cpuNow();
  const t0 = performance.now();
  const calls = await unaryLoops(client, concurrency, t0 + num("duration-ms"), Infinity, latencies);
  const seconds = (performance.now() - t0) / 1000;
  const cpuUs = cpuNow() - cpu0;
  phase("end");
  return {
    calls,
    seconds: round(seconds, 3),
    callsPerSec: round(calls / seconds),
    cpuUsPerCall: round(cpuUs / calls, 2),
    cpuUs,
    ...summarize(latencies),
  };
}

async function serverStream(client: BenchClient): Promise<object> {
  const count = num("count");
  // Warm up with a stream as long as the measured one: the JIT needs it.
  await client.serverStream(count).catch(failed);
  phase("start");
  const cpu0 = cpuNow();
  const t0 = performance.now();
  await client.serverStream(count).catch(failed);
  const seconds = (performance.now() - t0) / 1000;
  const cpuUs = cpuNow() - cpu0;
  phase("end");
  return { messages: count, seconds: round(seconds, 3), msgsPerSec: round(count / seconds), cpuUsPerMsg: round(cpuUs / count, 3), cpuUs };
}

async function clientStream(client: BenchClient): Promise<object> {
  const count = num("count");
  await client.clientStream(count).catch(failed);
  phase("start");
  const cpu0 = cpuNow();
  const t0 = performance.now();
  await client.clientStream(count).catch(failed);
  const seconds = (performance.now() - t0) / 1000;
  const cpuUs = cpuNow() - cpu0;
  phase("end");
  return { messages: count, seconds: round(seconds, 3), msgsPerSec: round(count / seconds), cpuUsPerMsg: round(cpuUs / count, 3), cpuUs };
}

async function pingPong(client: BenchClient): Promise<object> {
  const stream = await client.openPingPong();
  const latencies: number[] = [];
  const warmEnd = performance.now() + num("warmup-ms");
  try {
    while (performance.now() < warmEnd) await stream.ping();
    phase("start");
    const cpu0 = cpuNow();
    const t0 = performance.now();
    const end = t0 + num("duration-ms");
    let t = t0;
    while (t < end) {
      await stream.ping();
      const t1 = performance.now();
      latencies.push((t1 - t) * 1000);
      t = t1;
    }
    const cpuUs = cpuNow() - cpu0;
    phase("end");
    await stream.close();
    const seconds = (t - t0) / 1000;
    return {
      roundTrips: latencies.length,
      seconds: round(seconds, 3),
      roundTripsPerSec: round(latencies.length / seconds),
      cpuUs,
      ...summarize(latencies),
    };
  } catch (error) {
    failed(error);
    return { roundTrips: latencies.length };
  }
}

/**
 * Up to `calls` unary calls in chunks, sampling memory after a forced GC
 * between chunks. The first chunk is the warm-up: growth is measured from
 * the sample after it. Stops early after `max-ms`.
 */
async function leak(client: BenchClient): Promise<object> {
  const total = num("calls");
  const chunk = num("chunk");
  const stopAt = performance.now() + num("max-ms");
  const samples: Array<{ calls: number } & ProcessSample> = [];
  let calls = 0;
  while (calls < total && performance.now() < stopAt && errors === 0) {
    calls += await unaryLoops(client, num("concurrency"), stopAt, Math.min(chunk, total - calls));
    samples.push({ calls, ...sampleProcess(true) });
  }
  return { calls, samples };
}

async function holdOpenStreams(url: string): Promise<object> {
  const streams = num("streams");
  // Generous: a server that fills every call's buffers first (Connect) takes a while.
  const held = await openStreams(url, streams, num("connections"), num("response-size"), 120_000);
  if (held.open !== streams) failed(new Error(`${held.open} of ${streams} calls opened`));
  // Tell the driver, then hold the calls until it has sampled the server.
  console.log(`OPEN ${held.open}`);
  const lines = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => {
    lines.once("line", () => resolve());
    lines.once("close", () => resolve());
    setTimeout(resolve, 120_000).unref();
  });
  lines.close();
  held.close();
  return { streams, open: held.open };
}

async function main(): Promise<void> {
  const impl = args.impl!;
  const url = args.url;
  if (!isImpl(impl) || !url) throw new Error("need --impl and --url");
  const workload = args.workload;
  let result: object;
  if (workload === "open-streams") {
    result = await holdOpenStreams(url);
  } else {
    const client = await createBenchClient(impl, {
      url,
      responseSize: num("response-size"),
      payloadSize: num("payload-size"),
    });
    const run = { unary, "server-stream": serverStream, "client-stream": clientStream, "ping-pong": pingPong, leak }[
      workload ?? ""
    ];
    if (!run) throw new Error(`unknown workload ${workload}`);
    result = await run(client);
    client.close();
  }
  console.log(`RESULT ${JSON.stringify({ impl, workload, ...result, errors, firstError })}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.log(`RESULT ${JSON.stringify({ errors: 1, firstError: String(error?.stack ?? error) })}`);
    process.exit(1);
  },
);
