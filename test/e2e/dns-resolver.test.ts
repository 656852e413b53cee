// The dns: resolver against a real DNS server (dnsmasq) on loopback:
// `dns://127.0.0.1:PORT/name:port` asks it directly. Skipped where dnsmasq
// is not installed (CI installs it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import * as net from "node:net";
import * as dgram from "node:dgram";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, RpcError, createChannel, createClient, createServer, type Interceptor } from "../../src/index.js";
import { EchoService, echoService } from "./echo-service.js";
import { assertNoLeaks } from "./leak-check.js";

const dnsmasq = ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"].find((p) => existsSync(p));

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket("udp4");
  s.bind(0, "127.0.0.1");
  await once(s, "listening");
  const port = s.address().port;
  s.close();
  return port;
}

/** Starts dnsmasq answering only for the given records, on a loopback port; nothing is forwarded anywhere. */
async function startDns(records: string[]) {
  const port = await freeUdpPort();
  const child = spawn(
    dnsmasq!,
    [
      "--keep-in-foreground",
      "--no-daemon",
      "--no-resolv",
      "--no-hosts",
      "--no-poll",
      "--bind-interfaces",
      "--listen-address=127.0.0.1",
      "--interface=lo",
      `--port=${port}`,
      "--local=/tsgrpc.test/",
      "--user=" + (process.getuid?.() === 0 ? "root" : ""),
      "--pid-file=",
      "--log-facility=-",
      ...records.map((r) => `--host-record=${r}`),
    ].filter((a) => !a.endsWith("=") || a === "--pid-file="),
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  // Ready once it answers.
  const { Resolver } = await import("node:dns/promises");
  const r = new Resolver({ timeout: 200, tries: 1 });
  r.setServers([`127.0.0.1:${port}`]);
  for (let i = 0; i < 50; i++) {
    if (child.exitCode !== null) throw new Error(`dnsmasq exited: ${stderr}`);
    try {
      await r.resolve4(records[0]!.split(",")[0]!);
      break;
    } catch {
      await sleep(50);
    }
  }
  return { port, stop: () => child.kill() };
}

test("dns://server/name resolves through that DNS server; round_robin spreads over every A and AAAA record", { skip: dnsmasq ? false : "dnsmasq is not installed", timeout: 30_000 }, async () => {
  const seen: string[] = [];
  const counting = (name: string): Interceptor => (next) => (req) => {
    seen.push(name);
    return next(req);
  };
  // Two servers on one port of two loopback addresses, both listed for one name.
  const server = createServer({ interceptors: [counting("127.0.0.1")] }).service(EchoService, echoService());
  const { port } = await server.listen("127.0.0.1:0");
  const server2 = createServer({ interceptors: [counting("127.0.0.2")] }).service(EchoService, echoService());
  await server2.listen(`127.0.0.2:${port}`);
  const dns = await startDns(["svc.tsgrpc.test,127.0.0.1", "svc.tsgrpc.test,127.0.0.2", "other.tsgrpc.test,127.0.0.1"]);
  try {
    const channel = createChannel(`dns://127.0.0.1:${dns.port}/svc.tsgrpc.test:${port}`, {
      insecure: true,
      serviceConfig: { loadBalancingConfig: [{ round_robin: {} }] },
    });
    const client = createClient(EchoService, channel);
    await channel.waitForReady({ deadline: Date.now() + 5000 });
    for (let i = 0; i < 20 && new Set(seen).size < 2; i++) await client.unary({});
    assert.deepEqual([...new Set(seen)].sort(), ["127.0.0.1", "127.0.0.2"]);
    channel.close();

    const missing = createChannel(`dns://127.0.0.1:${dns.port}/missing.tsgrpc.test:${port}`, { insecure: true });
    await assert.rejects(createClient(EchoService, missing).unary({}, { timeoutMs: 5000 }), (e: unknown) => {
      assert.ok(e instanceof RpcError);
      assert.equal(e.code, Code.UNAVAILABLE);
      assert.match(e.rawMessage, /name resolution failed: DNS lookup of "missing\.tsgrpc\.test" failed: ENOTFOUND/);
      return true;
    });
    missing.close();
  } finally {
    dns.stop();
    await Promise.all([server.close(), server2.close()]);
  }
  await assertNoLeaks();
});

test("dns:/// with the system resolver: localhost", { timeout: 20_000 }, async () => {
  const server = createServer().service(EchoService, echoService());
  const { port } = await server.listen("127.0.0.1:0");
  const channel = createChannel(`dns:///localhost:${port}`, { insecure: true });
  // localhost may resolve to ::1 first, where nothing listens: pick_first moves on to 127.0.0.1.
  await createClient(EchoService, channel).unary({});
  channel.close();
  await server.close();
  void net;
  await assertNoLeaks();
});
