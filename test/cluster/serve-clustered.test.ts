// serveClustered: one port served by two worker processes, calls answered by
// both, a worker that dies replaced, and a SIGTERM to the primary that lets
// the calls in flight finish, then leaves no process behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { serveClustered } from "../../src/cluster/index.js";
import { createChannel, createClient, type Channel } from "../../src/index.js";
import { EchoService } from "../gen/tsgrpc/test/v1/echo_pb.js";

const fixture = fileURLToPath(new URL("./clustered-echo-server.ts", import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("two workers share one port, answer calls, are replaced when they die, and drain on SIGTERM", { timeout: 30_000 }, async () => {
  const primary = spawn(process.execPath, [...process.execArgv, fixture, "--workers=2"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(primary, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  const workerPids = new Set<number>();
  const ports = new Set<number>();
  const started = new Set<string>();
  let onLine = (): void => {};
  let ready = false;
  createInterface({ input: primary.stdout! }).on("line", (line) => {
    const words = line.split(" ");
    if (words[0] === "listening") {
      ports.add(Number(words[1]));
      workerPids.add(Number(words[2]));
    } else if (words[0] === "started") started.add(words[1]!);
    else if (line === "ready") ready = true;
    onLine();
  });
  const until = (condition: () => boolean, what: string): Promise<void> =>
    condition()
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 20_000);
          onLine = () => {
            if (!condition()) return;
            clearTimeout(timer);
            onLine = () => {};
            resolve();
          };
        });

  const channels: Channel[] = [];
  try {
    await until(() => ready, "the primary's ready line");
    assert.equal(workerPids.size, 2, "two workers listen");
    assert.equal(ports.size, 1, "on one port");
    assert.ok(!workerPids.has(primary.pid!));
    const [port] = ports;

    // One connection per channel; the primary hands connections to workers in turn.
    for (let i = 0; i < 6; i++) channels.push(createChannel(`http://127.0.0.1:${port}`));
    const clients = channels.map((channel) => createClient(EchoService, channel));
    const decoder = new TextDecoder();
    const answeredBy: number[] = [];
    for (const client of clients) {
      const response = await client.unary({});
      answeredBy.push(Number(decoder.decode(response.payload)));
    }
    assert.deepEqual([...new Set(answeredBy)].sort(), [...workerPids].sort(), "both workers answer");

    // A worker that dies while serving is replaced.
    const crashed = answeredBy[0]!;
    await assert.rejects(clients[0]!.unary({ tag: "crash" }));
    await until(() => workerPids.size === 3, "a replacement worker");
    const live = new Set([...workerPids].filter((pid) => pid !== crashed));
    assert.equal(alive(crashed), false);

    // Calls in flight on every connection, hence on both workers, when SIGTERM
    // comes (the three connections of the crashed worker reconnect in turn).
    const inFlight = clients.map((client, i) => client.unary({ sleepMs: 1500, tag: `slow-${i}` }));
    await until(() => started.size === clients.length, "every slow call to start");
    primary.kill("SIGTERM");
    const answers = await Promise.all(inFlight);
    assert.deepEqual(
      new Set(answers.map((a) => Number(decoder.decode(a.payload)))),
      live,
      "the calls in flight on both workers completed",
    );

    const [code, signal] = await exited;
    assert.equal(signal, null);
    assert.equal(code, 0, "the primary exits 0 once every worker has drained");
    for (const pid of workerPids) assert.equal(alive(pid), false, `worker ${pid} is gone`);
  } finally {
    for (const channel of channels) channel.close();
    if (primary.exitCode === null && primary.signalCode === null) primary.kill("SIGKILL");
    for (const pid of workerPids) if (alive(pid)) process.kill(pid, "SIGKILL");
  }
});

test("bad options are refused before any worker starts", { timeout: 5000 }, async () => {
  const start = async () => ({ close: async () => {} });
  await assert.rejects(serveClustered({ workers: 0, start }), TypeError);
  await assert.rejects(serveClustered({ workers: 1.5, start }), TypeError);
  await assert.rejects(serveClustered({ workers: 1, start, graceMs: -1 }), TypeError);
  await assert.rejects(serveClustered({ workers: 1, start: "server.ts" as never }), TypeError);
});

test("a worker that cannot start stops the cluster: the primary exits 1", { timeout: 20_000 }, async () => {
  const primary = spawn(process.execPath, [...process.execArgv, fixture, "--workers=1", "--fail-start"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  primary.stderr!.on("data", (chunk) => (stderr += chunk));
  const timer = setTimeout(() => primary.kill("SIGKILL"), 15_000);
  const [code] = (await once(primary, "exit")) as [number | null];
  clearTimeout(timer);
  assert.equal(code, 1);
  assert.match(stderr, /this worker cannot start/);
  assert.match(stderr, /a worker stopped before it listened/);
});
