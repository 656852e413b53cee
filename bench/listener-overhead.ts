// What the one-port listener (src/internal/transport/http-listener.ts, compiled in dist/) costs
// HTTP/2: the same 'stream' handler behind `http2.createServer().listen()`
// (or `createSecureServer`) and behind `openHttpListener`, each in a fresh
// server process pinned to core 0, driven over one connection from core 1 by
// h2load (100 streams in flight) and by a node:http2 client (20,000 requests,
// one at a time and 100 at a time). Printed: medians over rounds (which
// alternate the order) of req/s and of the server's CPU µs per request; the
// CPU figure is the steadier one on a shared machine.
//
//   cd bench && node --import tsx listener-overhead.ts [--rounds=5] [--tls=only|no]
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as http2 from "node:http2";
import { fileURLToPath } from "node:url";
import { testPki } from "../test/e2e/test-certs.js";
import { openHttpListener } from "../dist/internal/transport/http-listener.js";

type Mode = "plain-direct" | "plain-listener" | "tls-direct" | "tls-listener";
const modes: Mode[] = ["plain-direct", "plain-listener", "tls-direct", "tls-listener"];
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const hasTaskset = (() => {
  try {
    execFileSync("taskset", ["-c", "0", "true"]);
    return true;
  } catch {
    return false;
  }
})();

async function serve(mode: Mode): Promise<void> {
  const pki = testPki();
  const tls = mode.startsWith("tls") ? { key: pki.server.key, cert: pki.server.cert } : undefined;
  const body = Buffer.alloc(16, 1);
  const onStream = (stream: http2.ServerHttp2Stream) => {
    stream.on("error", () => {});
    stream.respond({ ":status": 200, "content-type": "application/octet-stream" });
    stream.end(body);
  };
  let port: number;
  if (mode.endsWith("direct")) {
    const server = tls ? http2.createSecureServer(tls) : http2.createServer();
    server.on("stream", onStream);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  } else {
    const h2 = http2.createServer();
    h2.on("stream", onStream);
    const listener = await openHttpListener({ http2: h2, tls, onHttp1Request: (_req, res) => res.end() });
    port = (listener.address as { port: number }).port;
  }
  process.on("message", () => process.send?.(process.cpuUsage()));
  process.send?.({ port });
}

/** The server's CPU time so far, in µs (user + system). */
function serverCpuUs(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once("message", (m) => {
      const u = m as NodeJS.CpuUsage;
      resolve(u.user + u.system);
    });
    child.send("cpu");
  });
}

/** Starts a server process; resolves with it and its port. */
function startServer(mode: Mode): Promise<{ child: ChildProcess; port: number }> {
  const self = fileURLToPath(import.meta.url);
  const node = [process.execPath, "--import", "tsx", self, `--serve=${mode}`];
  const [cmd, ...args] = hasTaskset ? ["taskset", "-c", "0", ...node] : node;
  const child = spawn(cmd!, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve) => child.once("message", (m) => resolve({ child, port: (m as { port: number }).port })));
}

function h2load(url: string, total: number): number {
  const args = ["-n", String(total), "-c", "1", "-m", "100", url];
  const out = execFileSync(hasTaskset ? "taskset" : "h2load", hasTaskset ? ["-c", "1", "h2load", ...args] : args, { encoding: "utf8" });
  if (!out.includes(`${total} succeeded`)) throw new Error(`h2load failed:\n${out}`);
  return Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out)?.[1]);
}

/** Requests per second of `total` requests over one node:http2 connection, `window` in flight, after `warmUp` more. */
async function nodeClient(url: string, total: number, window: number, warmUp: () => Promise<void>): Promise<number> {
  const session = http2.connect(url, { rejectUnauthorized: false });
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = session.request({ ":path": "/" });
      req.on("response", (h) => h[":status"] !== 200 && reject(new Error(`status ${h[":status"]}`)));
      req.on("error", reject);
      req.on("end", resolve);
      req.resume();
    });
  for (let i = 0; i < 500; i++) await one();
  await warmUp();
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (next++ < total) await one();
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  session.close();
  return total / seconds;
}

async function main(): Promise<void> {
  const rounds = Number(arg("rounds") ?? 5);
  // The node:http2 client runs here: on core 1, like h2load.
  if (hasTaskset) execFileSync("taskset", ["-p", "-c", "1", String(process.pid)], { stdio: "ignore" });
  testPki();
  const results = new Map<string, number[]>();
  const record = (k: string, v: number) => results.set(k, [...(results.get(k) ?? []), v]);
  const tlsArg = arg("tls");
  const run = modes.filter((m) => (tlsArg === "only" ? m.startsWith("tls") : tlsArg === "no" ? m.startsWith("plain") : true));
  for (let round = 0; round < rounds; round++) {
    // Alternate which of direct and listener goes first.
    for (const mode of round % 2 ? [...run].reverse() : run) {
      const { child, port } = await startServer(mode);
      const url = `${mode.startsWith("tls") ? "https" : "http"}://127.0.0.1:${port}/`;
      // Each load: req/s, and the server's CPU µs per request over the measured requests.
      const measure = async (load: string, total: number, drive: (mark: () => Promise<void>) => Promise<number>) => {
        let cpu0 = 0;
        const rate = await drive(async () => void (cpu0 = await serverCpuUs(child)));
        record(`${mode} ${load}`, rate);
        record(`${mode} ${load} cpu`, ((await serverCpuUs(child)) - cpu0) / total);
      };
      try {
        await measure("h2load 100k, 100 in flight", 100_000, async (mark) => {
          h2load(url, 10_000);
          await mark();
          return h2load(url, 100_000);
        });
        await measure("node 20k, 1 in flight", 20_000, (mark) => nodeClient(url, 20_000, 1, mark));
        await measure("node 20k, 100 in flight", 20_000, (mark) => nodeClient(url, 20_000, 100, mark));
      } finally {
        child.kill();
      }
    }
    process.stderr.write(`round ${round + 1}/${rounds} done\n`);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`Medians of ${rounds} rounds; server CPU is user + system µs per request.\n`);
  console.log("| one connection | req/s direct | req/s listener | ratio | CPU µs direct | CPU µs listener | ratio |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  const m = (k: string) => median(results.get(k)!);
  for (const proto of ["plain", "tls"].filter((p) => run.some((x) => x.startsWith(p)))) {
    for (const load of ["h2load 100k, 100 in flight", "node 20k, 1 in flight", "node 20k, 100 in flight"]) {
      const [d, l] = [m(`${proto}-direct ${load}`), m(`${proto}-listener ${load}`)];
      const [dc, lc] = [m(`${proto}-direct ${load} cpu`), m(`${proto}-listener ${load} cpu`)];
      console.log(`| ${proto}, ${load} | ${d.toFixed(0)} | ${l.toFixed(0)} | ${(l / d).toFixed(2)} | ${dc.toFixed(1)} | ${lc.toFixed(1)} | ${(lc / dc).toFixed(2)} |`);
    }
  }
}

const serveMode = arg("serve") as Mode | undefined;
if (serveMode) await serve(serveMode);
else await main();
