// Soak with faults: a channel over three backends under steady load while
// backends are killed (SIGKILL) or stopped (SIGTERM) and restarted every
// couple of seconds. Every call with a retry policy completes within its
// deadline; after the load, memory and handles return to where they were and
// no listener-leak warning was seen. SOAK_SECONDS sets the length (default
// 20 s in CI; run for hours with SOAK_SECONDS=7200 npm run test:soak).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, RpcError, createChannel, createClient } from "../../src/index.js";
import { EchoService } from "../e2e/echo-service.js";
import { freePort } from "../../interop/proxy-process.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const here = dirname(fileURLToPath(import.meta.url));
const seconds = Number(process.env.SOAK_SECONDS ?? 20);

async function startBackend(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", join(here, "soak-backend.ts"), String(port)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  for (let i = 0; i < 200 && !out.includes("listening"); i++) {
    if (child.exitCode !== null) throw new Error(`backend on ${port} exited with ${child.exitCode}`);
    await sleep(25);
  }
  if (!out.includes("listening")) throw new Error(`backend on ${port} did not start`);
  return child;
}

function counts(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

test(`soak: ${seconds} s of calls over three backends killed and restarted: nothing lost, nothing left behind`, { timeout: (seconds + 90) * 1000 }, async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => void warnings.push(`${w.name}: ${w.message}`);
  process.on("warning", onWarning);
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  const backends = await Promise.all(ports.map(startBackend));
  gc();
  const baselineHeap = process.memoryUsage().heapUsed;
  const baselineHandles = counts();

  const channel = createChannel(`ipv4:${ports.map((p) => `127.0.0.1:${p}`).join(",")}`, {
    insecure: true,
    serviceConfig: {
      loadBalancingConfig: [{ round_robin: {} }],
      methodConfig: [
        {
          name: [{ service: "tsgrpc.test.v1.EchoService" }],
          waitForReady: true,
          retryPolicy: { maxAttempts: 5, initialBackoff: "0.05s", maxBackoff: "0.5s", backoffMultiplier: 2, retryableStatusCodes: ["UNAVAILABLE"] },
        },
      ],
    },
  });
  const client = createClient(EchoService, channel);
  const until = Date.now() + seconds * 1000;
  let ok = 0;
  let slowest = 0;
  const failures = new Map<string, number>();
  const load = Array.from({ length: 8 }, async (_, worker) => {
    let i = 0;
    while (Date.now() < until) {
      const started = Date.now();
      try {
        // Some calls stream, so that kills land mid-response too (those are not retryable: counted apart).
        if (i++ % 4 === 0) {
          let n = 0;
          for await (const _ of client.serverStream({ responseCount: 3 }, { timeoutMs: 5000 })) n++;
          assert.equal(n, 3);
        } else {
          await client.unary({ payload: new Uint8Array([worker]) }, { timeoutMs: 5000 });
        }
        ok++;
      } catch (e) {
        const key = e instanceof RpcError ? `${Code[e.code]}: ${e.rawMessage}` : String(e);
        failures.set(key, (failures.get(key) ?? 0) + 1);
      }
      slowest = Math.max(slowest, Date.now() - started);
    }
  });
  // The faults: every 2 s one backend is killed or stopped, and restarted 0.5 s later on its port.
  const faults = (async () => {
    let n = 0;
    while (Date.now() < until - 2500) {
      await sleep(2000);
      const k = n % 3;
      const signal = n++ % 2 === 0 ? "SIGKILL" : "SIGTERM";
      backends[k]!.kill(signal);
      await once(backends[k]!, "exit");
      await sleep(500);
      backends[k] = await startBackend(ports[k]!);
    }
    return n;
  })();
  await Promise.all(load);
  const kills = await faults;
  channel.close();
  for (const b of backends) b.kill("SIGKILL");
  await Promise.all(backends.map((b) => (b.exitCode === null ? once(b, "exit") : undefined)));
  process.off("warning", onWarning);

  // Streams cut mid-response by a SIGKILL may fail: the server may have processed them, so no client may retry them.
  const lost = [...failures].filter(([k]) => !/closed before the call completed|after the response began|ended the stream without trailers|reset .*code 2/.test(k));
  assert.ok(ok > seconds * 50, `only ${ok} calls in ${seconds} s`);
  assert.ok(kills >= Math.floor(seconds / 5), `only ${kills} faults`);
  assert.deepEqual(lost, [], `lost calls (${ok} ok): ${JSON.stringify(Object.fromEntries(failures))}`);
  assert.ok(slowest <= 5500, `a call took ${slowest} ms, past its deadline`);
  assert.deepEqual(warnings, []);

  // Back to the baseline: handles at once, memory after collection.
  for (let i = 0; i < 100; i++) {
    const now = counts();
    const extra = [...now].filter(([k, v]) => v > (baselineHandles.get(k) ?? 0) && k !== "Timeout");
    if (extra.length === 0) break;
    if (i === 99) assert.deepEqual(extra, [], "handles left after the load");
    await sleep(50);
  }
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(50);
  }
  const grownMiB = (process.memoryUsage().heapUsed - baselineHeap) / 2 ** 20;
  assert.ok(grownMiB < 16, `heap grew by ${grownMiB.toFixed(1)} MiB`);
  console.log(`# soak: ${ok} calls ok, ${kills} faults, ${[...failures.values()].reduce((a, b) => a + b, 0)} mid-response cuts, slowest ${slowest} ms, heap +${grownMiB.toFixed(1)} MiB`);
});
