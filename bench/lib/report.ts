/**
 * The markdown report: one table per workload, ratios against the bound
 * (raw and raw-protobuf) and against grpc-js, then the targets of issues 5 and 12 with a verdict.
 */
import type { ClientRow } from "../workloads/client-throughput.js";
import type { EndToEndRow } from "../workloads/end-to-end.js";
import type { MemoryRow } from "../workloads/memory.js";
import type { ServerRow } from "../workloads/server-throughput.js";
import { spreadPercent } from "./rounds.js";
import type { Settings } from "./settings.js";

export interface Results {
  server?: ServerRow[];
  client?: ClientRow[];
  e2e?: EndToEndRow[];
  memory?: MemoryRow[];
}

export interface Target {
  name: string;
  measured: string;
  met: boolean | undefined;
}

type Num = number | undefined | unknown;

const n = (v: Num): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
function int(v: Num): string {
  const x = n(v);
  return x === undefined ? "–" : Math.round(x).toLocaleString("en-US");
}
function fixed(v: Num, digits = 2): string {
  const x = n(v);
  return x === undefined ? "–" : x.toFixed(digits);
}
function ms(us: Num): string {
  const x = n(us);
  return x === undefined ? "–" : (x / 1000).toFixed(2);
}
function ratio(a: Num, b: Num): string {
  const x = n(a);
  const y = n(b);
  return x === undefined || !y ? "–" : `${(x / y).toFixed(2)}×`;
}
/** How far the tries of a row spread (± percent of their median); "–" for a single try. */
function spread(tries: readonly (number | undefined)[] | undefined): string {
  const x = tries ? spreadPercent(tries) : undefined;
  return x === undefined ? "–" : `±${x} %`;
}
function percent(v: Num): string {
  const x = n(v);
  return x === undefined ? "–" : `${Math.round(x)} %`;
}
function kib(bytes: Num): string {
  const x = n(bytes);
  return x === undefined ? "–" : `${x >= 0 ? "+" : ""}${(x / 1024).toFixed(0)} KiB`;
}
function answers(problems: string[]): string {
  return problems.length === 0 ? "ok" : `**WRONG**: ${problems.join("; ").replace(/\|/g, "/").slice(0, 200)}`;
}
function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
function sizeLabel(bytes: number): string {
  return bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} B`;
}

export function renderReport(results: Results, settings: Settings, targets: Target[]): string {
  const parts: string[] = [
    "Ratios compare rows of this run. *other CPU*: the share of a pinned core that other processes on the machine took during the measured window; " +
      `full runs measure a row again when it exceeds ${settings.retryAboveOtherCpuPercent} % and keep the less disturbed try.`,
  ];
  const s = settings.server;
  if (results.server) {
    const by = (size: number, impl: string): ServerRow | undefined =>
      results.server!.find((r) => r.payloadBytes === size && r.impl === impl);
    const load = s.durationS !== undefined ? `${s.durationS} s` : `${s.requests} requests`;
    const tries = s.rounds > 1 ? ` Each server measured ${s.rounds} times, interleaved with the others; the row is its fastest try (noise only slows a try down), *spread* how far its tries' req/s spread.` : "";
    parts.push(
      `### Server throughput\n\nh2load, ${s.connections} connections × ${s.streamsPerConnection} streams, unary, ${load} after a ${s.warmupS} s warm-up; latency from h2load's per-request log.${tries}\n\n` +
        table(
          ["response", "server", "req/s", "spread", "× bound", "× bound+protobuf", "× grpc-js", "× Connect", "p50 ms", "p99 ms", "p99.9 ms", "server CPU µs/req", "other CPU", "answers"],
          results.server.map((r) => [
            sizeLabel(r.payloadBytes),
            r.impl,
            int(r.reqPerSec),
            spread(r.tries),
            ratio(r.reqPerSec, by(r.payloadBytes, "raw")?.reqPerSec),
            ratio(r.reqPerSec, by(r.payloadBytes, "raw-protobuf")?.reqPerSec),
            ratio(r.reqPerSec, by(r.payloadBytes, "grpc-js")?.reqPerSec),
            ratio(r.reqPerSec, by(r.payloadBytes, "connect")?.reqPerSec),
            ms(r.p50Us),
            ms(r.p99Us),
            ms(r.p999Us),
            fixed(r.cpuUsPerReq, 1),
            percent(r.otherCpuPercent),
            answers(r.problems),
          ]),
        ),
    );
  }
  if (results.client) {
    const c = settings.client;
    const raw = results.client.find((r) => r.impl === "raw");
    const rawProtobuf = results.client.find((r) => r.impl === "raw-protobuf");
    const grpcJs = results.client.find((r) => r.impl === "grpc-js");
    const connect = results.client.find((r) => r.impl === "connect");
    parts.push(
      `### Client throughput (against the raw bound server)\n\nUnary: ${c.concurrency} calls in flight, ${c.durationMs / 1000} s, ${c.messageSize} B each way. Server streaming: ${int(c.streamMessages)} × ${c.messageSize} B messages on one call.${c.rounds > 1 ? ` Each client measured ${c.rounds} times, interleaved; each workload's figures are its fastest try.` : ""}\n\n` +
        table(
          ["client", "unary calls/s", "spread", "× bound", "× bound+protobuf", "× grpc-js", "× Connect", "CPU µs/call", "p50 ms", "p99 ms", "p99.9 ms", "raw server CPU", "streamed msgs/s", "spread", "× bound", "× bound+protobuf", "× grpc-js", "× Connect", "CPU µs/msg", "raw server CPU", "other CPU", "answers"],
          results.client.map((r) => [
            r.impl,
            int(r.unary.callsPerSec),
            spread(r.unaryTries),
            ratio(r.unary.callsPerSec, raw?.unary.callsPerSec),
            ratio(r.unary.callsPerSec, rawProtobuf?.unary.callsPerSec),
            ratio(r.unary.callsPerSec, grpcJs?.unary.callsPerSec),
            ratio(r.unary.callsPerSec, connect?.unary.callsPerSec),
            fixed(r.unary.cpuUsPerCall, 1),
            ms(r.unary.p50Us),
            ms(r.unary.p99Us),
            ms(r.unary.p999Us),
            percent(r.unary.serverCpuPercent),
            int(r.serverStream.msgsPerSec),
            spread(r.streamTries),
            ratio(r.serverStream.msgsPerSec, raw?.serverStream.msgsPerSec),
            ratio(r.serverStream.msgsPerSec, rawProtobuf?.serverStream.msgsPerSec),
            ratio(r.serverStream.msgsPerSec, grpcJs?.serverStream.msgsPerSec),
            ratio(r.serverStream.msgsPerSec, connect?.serverStream.msgsPerSec),
            fixed(r.serverStream.cpuUsPerMsg, 2),
            percent(r.serverStream.serverCpuPercent),
            percent(r.unary.otherCpuPercent),
            answers(r.problems),
          ]),
        ),
    );
  }
  if (results.e2e) {
    const e = settings.e2e;
    const grpcJs = results.e2e.find((r) => r.impl === "grpc-js");
    const connect = results.e2e.find((r) => r.impl === "connect");
    parts.push(
      `### End to end (each client against its own server)\n\nUnary: ${e.concurrency} in flight, ${e.durationMs / 1000} s. Ping-pong: one StreamingCall, one message in flight, ${e.pingPongMs / 1000} s. Client streaming: ${int(e.clientStreamMessages)} messages. ${e.messageSize} B messages.\n\n` +
        table(
          ["implementation", "unary calls/s", "× grpc-js", "× Connect", "p50 ms", "p99 ms", "p99.9 ms", "ping-pong p50 µs", "ping-pong p99 µs", "ping-pong p99.9 µs", "client-stream msgs/s", "× grpc-js", "× Connect", "other CPU", "answers"],
          results.e2e.map((r) => [
            r.impl,
            int(r.unary.callsPerSec),
            ratio(r.unary.callsPerSec, grpcJs?.unary.callsPerSec),
            ratio(r.unary.callsPerSec, connect?.unary.callsPerSec),
            ms(r.unary.p50Us),
            ms(r.unary.p99Us),
            ms(r.unary.p999Us),
            int(r.pingPong.p50Us),
            int(r.pingPong.p99Us),
            int(r.pingPong.p999Us),
            int(r.clientStream.msgsPerSec),
            ratio(r.clientStream.msgsPerSec, grpcJs?.clientStream.msgsPerSec),
            ratio(r.clientStream.msgsPerSec, connect?.clientStream.msgsPerSec),
            percent(r.otherCpuPercent),
            answers(r.problems),
          ]),
        ),
    );
  }
  if (results.memory) {
    const m = settings.memory;
    parts.push(
      `### Memory\n\nPer open call: server RSS and live heap with ${int(m.openStreams)} StreamingFromServer calls open over ${m.openConnections} connections (client stream window 0: every call open and blocked), minus the same before them, after a warm-up round of a tenth as many calls. Leak: up to ${int(m.leakCalls)} unary calls (at most ${m.leakMaxMs / 1000} s, except tsgrpc, whose target needs the full series) in chunks of ${int(m.leakChunk)}; live heap after GC, last chunk minus first; servers under h2load, clients against the raw server.\n\n` +
        table(
          ["implementation", "RSS per open call", "heap per open call", "server calls", "server heap growth", "server RSS growth", "client calls", "client heap growth", "client RSS growth", "answers"],
          results.memory.map((r) => [
            r.impl,
            r.openStreams ? `${int(r.openStreams.rssPerStream)} B` : "–",
            r.openStreams ? `${int(r.openStreams.heapPerStream)} B` : "–",
            int(r.serverLeak?.calls),
            kib(r.serverLeak?.heapGrowth),
            kib(r.serverLeak?.rssGrowth),
            int(r.clientLeak?.calls),
            kib(r.clientLeak?.heapGrowth),
            kib(r.clientLeak?.rssGrowth),
            answers(r.problems),
          ]),
        ),
    );
  }
  if (targets.length) {
    parts.push(
      "### Targets (tsgrpc)\n\n" +
        table(
          ["target", "measured", "met"],
          targets.map((t) => [t.name, t.measured, t.met === undefined ? "n/a" : t.met ? "yes" : "**no**"]),
        ),
    );
  }
  return parts.join("\n\n") + "\n";
}

/** The targets of issues 5 and 12, judged on this run's figures. */
export function judgeTargets(results: Results, settings: Settings): Target[] {
  const targets: Target[] = [];
  const at = (target: Target): void => void targets.push(target);
  const cmp = (name: string, a: Num, b: Num, min: number): void => {
    const x = n(a);
    const y = n(b);
    at({ name, measured: x === undefined || !y ? "–" : `${(x / y).toFixed(2)}×`, met: x === undefined || !y ? undefined : x / y >= min });
  };
  const noWorse = (name: string, ours: Num, theirs: Num): void => {
    const x = n(ours);
    const y = n(theirs);
    at({
      name,
      measured: x === undefined || y === undefined ? "–" : `${(x / 1000).toFixed(2)} ms vs ${(y / 1000).toFixed(2)} ms`,
      met: x === undefined || y === undefined ? undefined : x <= y,
    });
  };
  for (const r of results.server?.filter((r) => r.impl === "tsgrpc") ?? []) {
    const bound = results.server!.find((b) => b.impl === "raw" && b.payloadBytes === r.payloadBytes);
    const grpcJs = results.server!.find((b) => b.impl === "grpc-js" && b.payloadBytes === r.payloadBytes);
    // Issue 12's goals: 0.8× the bound up to 1 KiB, 0.7× at 64 KiB.
    const min = r.payloadBytes >= 65536 ? 0.7 : 0.8;
    cmp(`server ≥ ${min}× bound at ${sizeLabel(r.payloadBytes)}`, r.reqPerSec, bound?.reqPerSec, min);
    noWorse(`server p99 ≤ grpc-js at ${sizeLabel(r.payloadBytes)}`, r.p99Us, grpcJs?.p99Us);
  }
  const client = (impl: string): ClientRow | undefined => results.client?.find((r) => r.impl === impl);
  if (client("tsgrpc")) {
    cmp("client unary ≥ 2× grpc-js", client("tsgrpc")!.unary.callsPerSec, client("grpc-js")?.unary.callsPerSec, 2);
    cmp("client streamed msgs ≥ 1.3× grpc-js", client("tsgrpc")!.serverStream.msgsPerSec, client("grpc-js")?.serverStream.msgsPerSec, 1.3);
    // Issue 12's goal, against the raw client (which decodes nothing).
    cmp("client streamed msgs ≥ 0.7× raw client", client("tsgrpc")!.serverStream.msgsPerSec, client("raw")?.serverStream.msgsPerSec, 0.7);
    noWorse("client unary p99 ≤ grpc-js", client("tsgrpc")!.unary.p99Us, client("grpc-js")?.unary.p99Us);
  }
  const e2e = (impl: string): EndToEndRow | undefined => results.e2e?.find((r) => r.impl === impl);
  if (e2e("tsgrpc")) {
    noWorse("end-to-end unary p99 ≤ grpc-js", e2e("tsgrpc")!.unary.p99Us, e2e("grpc-js")?.unary.p99Us);
    noWorse("ping-pong p99 ≤ grpc-js", e2e("tsgrpc")!.pingPong.p99Us, e2e("grpc-js")?.pingPong.p99Us);
  }
  const memory = (impl: string): MemoryRow | undefined => results.memory?.find((r) => r.impl === impl);
  const ours = memory("tsgrpc");
  if (ours) {
    const full = settings.memory.leakCalls;
    for (const side of ["serverLeak", "clientLeak"] as const) {
      const series = ours[side];
      const label = side === "serverLeak" ? "server" : "client";
      at({
        name: `no ${label} heap growth across ${int(full)} calls (tolerance ${settings.memory.leakToleranceBytes / 1024} KiB)`,
        measured: series ? `${kib(series.heapGrowth)} after ${int(series.calls)} calls` : "–",
        met: series?.leaked === undefined || series.calls < full ? undefined : !series.leaked,
      });
    }
    const theirs = memory("grpc-js")?.openStreams;
    const mine = ours.openStreams;
    at({
      name: "server memory per open stream ≤ grpc-js (RSS)",
      measured: mine && theirs ? `${int(mine.rssPerStream)} B vs ${int(theirs.rssPerStream)} B` : "–",
      met: mine && theirs ? mine.rssPerStream <= theirs.rssPerStream : undefined,
    });
    at({
      name: "server memory per open stream ≤ grpc-js (heap)",
      measured: mine && theirs ? `${int(mine.heapPerStream)} B vs ${int(theirs.heapPerStream)} B` : "–",
      met: mine && theirs ? mine.heapPerStream <= theirs.heapPerStream : undefined,
    });
  }
  return targets;
}
