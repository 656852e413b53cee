/**
 * What a peer that sends and does not read can make a server or a client
 * hold: RSS growth of a victim process, tsgrpc against @grpc/grpc-js, in the
 * scenarios of the README's security section.
 *
 *   npm run bench:memory                 every scenario, both implementations
 *   npm run bench:memory -- server-gzip  one scenario
 *
 * Each victim runs in a child process of its own; this process is the
 * hostile peer, speaking HTTP/2 through node:http2 and framing messages by
 * hand. The figures are the largest growth over the victim's baseline
 * while the attack lasts (6 s, sampled every 100 ms after a GC): of RSS,
 * and of what JavaScript holds (heap and ArrayBuffers), which is less noisy.
 *
 * - server-gzip: two bidi calls send 300 gzip'd 4 MiB requests each (~1.2 MB
 *   on the wire) to an echo handler and never read the responses.
 * - server-plain: ten bidi calls send 4 MiB requests as fast as flow control
 *   lets them to an echo handler and never read the responses.
 * - client-gzip: a server streams 300 gzip'd 4 MiB responses to a client
 *   that reads one a second.
 * - client-plain: a server streams 4 MiB responses as fast as flow control
 *   lets it to a client that reads one a second.
 */
import { spawn } from "node:child_process";
import * as http2 from "node:http2";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { EchoRequestSchema, EchoService } from "../test/gen/tsgrpc/test/v1/echo_pb.js";

const MiB = 1024 * 1024;
const scenarios = ["server-gzip", "server-plain", "client-gzip", "client-plain"] as const;
type Scenario = (typeof scenarios)[number];
const impls = ["tsgrpc", "grpc-js"] as const;
type Impl = (typeof impls)[number];
const attackMs = 6000;
const bidiPath = "/tsgrpc.test.v1.EchoService/Bidi";

function frame(payload: Uint8Array, compressed: boolean): Buffer {
  const out = Buffer.alloc(5 + payload.byteLength);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(payload.byteLength, 1);
  out.set(payload, 5);
  return out;
}

/** One 4 MiB message (a bytes field just under the default receive limit), framed; requests and responses alike have it as field 1. */
function bigMessage(compressed: boolean): Buffer {
  const bytes = toBinary(EchoRequestSchema, create(EchoRequestSchema, { payload: new Uint8Array(4 * MiB - 16) }));
  return frame(compressed ? gzipSync(bytes) : bytes, compressed);
}

// ---------------------------------------------------------------- victims

/** Messages a client victim has read. */
let received = 0;

/** Memory JavaScript holds: the heap and the ArrayBuffers outside it. */
function heldBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

async function rssSampler(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  gc();
  const baseRss = process.memoryUsage().rss;
  const baseHeld = heldBytes();
  let maxRss = 0;
  let maxHeld = 0;
  const timer = setInterval(() => {
    gc();
    maxRss = Math.max(maxRss, process.memoryUsage().rss - baseRss);
    maxHeld = Math.max(maxHeld, heldBytes() - baseHeld);
  }, 100);
  process.stdin.once("data", () => {
    clearInterval(timer);
    process.stdout.write(`growth ${maxRss} ${maxHeld} ${received}\n`);
    process.exit(0);
  });
}

async function serverVictim(impl: Impl): Promise<void> {
  let port: number;
  if (impl === "tsgrpc") {
    const { createServer } = await import("./lib/tsgrpc.js");
    const server = createServer().service(EchoService, {
      async *bidi(reqs) {
        for await (const r of reqs) yield { payload: r.payload };
      },
    });
    port = (await server.listen("127.0.0.1:0")).port;
  } else {
    const grpc = await import("@grpc/grpc-js");
    const { grpcJsService } = await import("../interop/grpc-js/service-definition.js");
    const server = new grpc.Server();
    server.addService(grpcJsService(EchoService), {
      // An echo that honours backpressure: it stops reading while its writes wait.
      bidi(call: import("@grpc/grpc-js").ServerDuplexStream<{ payload: Uint8Array }, object>) {
        call.on("data", (r) => {
          if (!call.write({ payload: r.payload })) {
            call.pause();
            call.once("drain", () => call.resume());
          }
        });
        call.on("end", () => call.end());
      },
    } as import("@grpc/grpc-js").UntypedServiceImplementation);
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
  }
  await rssSampler();
  process.stdout.write(`port ${port}\n`);
}

async function clientVictim(impl: Impl, port: number): Promise<void> {
  await rssSampler();
  const readSlowly = async (messages: AsyncIterable<unknown>) => {
    for await (const _ of messages) {
      received++;
      await sleep(1000);
    }
  };
  if (impl === "tsgrpc") {
    const { createChannel, createClient } = await import("./lib/tsgrpc.js");
    const channel = createChannel(`http://127.0.0.1:${port}`);
    async function* oneRequest() {
      yield {};
    }
    void readSlowly(createClient(EchoService, channel).bidi(oneRequest())).catch((e) => console.error(e));
  } else {
    const grpc = await import("@grpc/grpc-js");
    const { grpcJsService } = await import("../interop/grpc-js/service-definition.js");
    const Client = grpc.makeGenericClientConstructor(grpcJsService(EchoService), "EchoService");
    const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const call = (client as unknown as { bidi(): import("@grpc/grpc-js").ClientDuplexStream<object, object> }).bidi();
    call.on("error", () => undefined);
    call.write({});
    call.end();
    void readSlowly(call).catch(() => undefined);
  }
  process.stdout.write("started\n");
}

// ---------------------------------------------------------------- attackers

function attackServer(port: number, scenario: Scenario): () => void {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", () => undefined);
  const gzip = scenario === "server-gzip";
  const message = bigMessage(gzip);
  const calls = gzip ? 2 : 10;
  for (let c = 0; c < calls; c++) {
    const headers: http2.OutgoingHttpHeaders = { ":method": "POST", ":path": bidiPath, "content-type": "application/grpc", te: "trailers" };
    if (gzip) headers["grpc-encoding"] = "gzip";
    const stream = session.request(headers);
    stream.on("error", () => undefined);
    // Never read the responses: no 'data' listener, so the stream stays paused.
    if (gzip) {
      for (let i = 0; i < 300; i++) stream.write(message);
    } else {
      const more = () => {
        while (!stream.destroyed && stream.write(message));
      };
      stream.on("drain", more);
      more();
    }
  }
  return () => session.destroy();
}

async function hostileServer(scenario: Scenario): Promise<{ port: number; close(): void }> {
  const gzip = scenario === "client-gzip";
  const message = bigMessage(gzip);
  const server = http2.createServer();
  const live = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => live.add(session));
  server.on("stream", (stream: http2.ServerHttp2Stream) => {
    stream.on("error", () => undefined);
    stream.respond({ ":status": 200, "content-type": "application/grpc", ...(gzip ? { "grpc-encoding": "gzip" } : {}) });
    if (gzip) {
      for (let i = 0; i < 300; i++) stream.write(message);
    } else {
      const more = () => {
        while (!stream.destroyed && stream.write(message));
      };
      stream.on("drain", more);
      more();
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as { port: number }).port,
    close: () => {
      server.close();
      for (const s of live) s.destroy();
    },
  };
}

// ---------------------------------------------------------------- driver

async function measure(scenario: Scenario, impl: Impl): Promise<{ rss: number; held: number }> {
  const isServer = scenario.startsWith("server");
  let hostile: { port: number; close(): void } | undefined;
  if (!isServer) hostile = await hostileServer(scenario);
  const args = ["--expose-gc", "--import", "tsx", fileURLToPath(import.meta.url), "victim", scenario, impl];
  if (hostile) args.push(String(hostile.port));
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  const lines: string[] = [];
  let wake: (() => void) | undefined;
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    out += d;
    let i;
    while ((i = out.indexOf("\n")) >= 0) {
      lines.push(out.slice(0, i));
      out = out.slice(i + 1);
      wake?.();
    }
  });
  const line = async (prefix: string) => {
    for (;;) {
      const l = lines.find((x) => x.startsWith(prefix));
      if (l) return l.slice(prefix.length).trim();
      await new Promise<void>((r) => (wake = r));
    }
  };
  let stop: () => void;
  if (isServer) {
    const port = Number(await line("port"));
    stop = attackServer(port, scenario);
  } else {
    await line("started");
    stop = () => hostile!.close();
  }
  await sleep(attackMs);
  child.stdin.write("report\n");
  const [rss, held, read] = (await line("growth")).split(" ").map(Number);
  if (!isServer && read! < 2) throw new Error(`the ${impl} client read ${read} messages: the scenario did not run`);
  stop();
  child.kill();
  return { rss: rss!, held: held! };
}

async function main(): Promise<void> {
  const [role, scenario, impl, port] = process.argv.slice(2);
  if (role === "victim") {
    if (scenario!.startsWith("server")) await serverVictim(impl as Impl);
    else await clientVictim(impl as Impl, Number(port));
    return;
  }
  const chosen = role ? [role as Scenario] : scenarios;
  console.log("Largest growth during the attack, RSS (heap + ArrayBuffers after GC):\n");
  console.log("| scenario | tsgrpc | grpc-js |\n| --- | ---: | ---: |");
  const mib = (n: number) => `${(n / MiB).toFixed(0)} MiB`;
  for (const s of chosen) {
    const figures: string[] = [];
    for (const i of impls) {
      const m = await measure(s, i);
      figures.push(`+${mib(m.rss)} (+${mib(m.held)})`);
    }
    console.log(`| ${s} | ${figures.join(" | ")} |`);
  }
  process.exit(0);
}

void main();
