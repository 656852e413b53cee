/**
 * What V8's young-generation collector keeps of a server under the server
 * workload's load: for each scavenge, the bytes that survived it and the
 * bytes it promoted to the old generation, from the server's own
 * `--trace-gc-nvp` trace.
 *
 *   npm run build && cd bench && node --import tsx gc-survival.ts --impls=tsgrpc,raw-protobuf,raw
 *
 * Each server runs under h2load (4 × 32 streams, 0 B answers) for a 2 s
 * warm-up and then `--tries` runs of `--seconds`, each on new connections,
 * as in the bench. A call lives a few milliseconds and a scavenge comes
 * every few tens, so nearly nothing of a call should survive one, let alone
 * two; a run where about as much is promoted as survives (the "promoted /
 * survived" ratio near 1) keeps objects of finished calls alive until the
 * next full collection, and spends its CPU copying them.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startServerProcess } from "./lib/child.js";
import { distProblem } from "./lib/dist.js";
import { frame } from "./lib/envelope.js";
import { ensureH2load, runH2load } from "./lib/h2load.js";
import { isImpl } from "./lib/implementations.js";
import { PATHS, requestBytes } from "./lib/messages.js";

const { values: args } = parseArgs({
  options: {
    impls: { type: "string", default: "tsgrpc,raw-protobuf,raw" },
    seconds: { type: "string", default: "6" },
    tries: { type: "string", default: "3" },
  },
});

interface Scavenge {
  pauseMs: number;
  survived: number;
  promoted: number;
}

/** One `--trace-gc-nvp` line of a scavenge, or undefined for any other line. */
function parseScavenge(line: string): Scavenge | undefined {
  if (!line.includes(" gc=s ")) return undefined;
  const field = (name: string): number => Number(new RegExp(`\\b${name}=([\\d.]+)`).exec(line)?.[1] ?? NaN);
  return { pauseMs: field("pause"), survived: field("new_space_survived"), promoted: field("promoted") };
}

function summarize(label: string, scavenges: Scavenge[], requests: number, seconds: number): string {
  const sum = (f: (s: Scavenge) => number): number => scavenges.reduce((a, s) => a + f(s), 0);
  const n = scavenges.length || 1;
  const kb = (bytes: number): string => `${Math.round(bytes / 1000).toLocaleString("en-US")} KB`;
  return [
    label,
    `${Math.round(requests / seconds).toLocaleString("en-US")} req/s`,
    `${scavenges.length} scavenges`,
    `survived ${kb(sum((s) => s.survived) / n)}`,
    `promoted ${kb(sum((s) => s.promoted) / n)} per scavenge`,
    `promoted / survived ${(sum((s) => s.promoted) / Math.max(1, sum((s) => s.survived))).toFixed(2)}`,
    `scavenge pauses ${((sum((s) => s.pauseMs) / Math.max(1, requests)) * 1000).toFixed(1)} µs/req`,
  ].join(" | ");
}

const stale = distProblem();
if (stale) throw new Error(stale);
ensureH2load();
const dir = mkdtempSync(join(tmpdir(), "tsgrpc-gc-"));
const dataFile = join(dir, "request.bin");
writeFileSync(dataFile, frame(requestBytes(0)));
try {
  for (const impl of args.impls!.split(",")) {
    if (!isImpl(impl)) throw new Error(`unknown implementation ${impl}`);
    const server = await startServerProcess(impl, 0, ["--trace-gc-nvp"]);
    let scavenges: Scavenge[] = [];
    server.onOutput((line) => {
      const s = parseScavenge(line);
      if (s) scavenges.push(s);
    });
    try {
      const load = { url: server.url + PATHS.unaryCall, dataFile, connections: 4, streamsPerConnection: 32 };
      await runH2load({ ...load, durationS: 2 });
      for (let i = 1; i <= Number(args.tries); i++) {
        scavenges = [];
        const seconds = Number(args.seconds);
        const result = await runH2load({ ...load, durationS: seconds });
        console.log(summarize(`${impl} try ${i}`, scavenges, result.succeeded, seconds));
      }
    } finally {
      await server.stop();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
