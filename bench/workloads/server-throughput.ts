/**
 * Server throughput: h2load (C, pinned to the load core) against each server
 * (pinned to the server core), unary calls with a pre-framed request, after a
 * separate warm-up run. Each server is verified once with a real gRPC check
 * before it is measured, and h2load's own error counts are checked after.
 * Full runs measure every server several times, interleaved, and keep the
 * fastest try (lib/rounds.ts).
 */
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CORES, startServerProcess } from "../lib/child.js";
import { foreignPercent, readCoreBusyUs } from "../lib/core-load.js";
import { measureUndisturbed } from "../lib/retry.js";
import { interleaved, bestTry } from "../lib/rounds.js";
import { frame } from "../lib/envelope.js";
import { runH2load } from "../lib/h2load.js";
import { PATHS, requestBytes } from "../lib/messages.js";
import type { Settings } from "../lib/settings.js";
import { round } from "../lib/stats.js";
import { verifyUnary } from "../lib/verify-server.js";

export interface ServerRow {
  payloadBytes: number;
  impl: string;
  reqPerSec?: number;
  p50Us?: number;
  p99Us?: number;
  p999Us?: number;
  cpuUsPerReq?: number;
  /** CPU other processes took on the server's core during the measured run, % of the core. */
  otherCpuPercent?: number;
  requests?: number;
  /** req/s of every try (full runs make several, interleaved; the row is the fastest). */
  tries?: (number | undefined)[];
  verified: string;
  problems: string[];
}

export async function runServerThroughput(
  impls: readonly string[],
  settings: Settings,
  log: (line: string) => void,
): Promise<ServerRow[]> {
  const s = settings.server;
  const rows: ServerRow[] = [];
  for (const size of s.payloadSizes) {
    const request = frame(requestBytes(size));
    const dataFile = join(tmpdir(), `tsgrpc-bench-request-${process.pid}-${size}.bin`);
    writeFileSync(dataFile, request);
    const tries = await interleaved(impls, s.rounds, async (impl) => {
      const measure = () => measureServer(impl, size, request, dataFile, settings);
      const row = await measureUndisturbed(settings, log, `server ${impl} ${size} B`, measure, (r) => r.otherCpuPercent);
      log(`server ${impl} ${size} B: ${row.reqPerSec} req/s, p99 ${row.p99Us} µs, p99.9 ${row.p999Us} µs ${row.problems.join("; ")}`);
      return row;
    });
    for (const impl of impls) {
      const all = tries.get(impl)!;
      const row = { ...bestTry(all, (r) => r.reqPerSec) };
      // A wrong answer in any try is a wrong answer.
      row.problems = [...new Set(all.flatMap((r) => r.problems))];
      row.tries = all.map((r) => r.reqPerSec);
      rows.push(row);
    }
    rmSync(dataFile, { force: true });
  }
  return rows;
}

async function measureServer(
  impl: string,
  size: number,
  request: Uint8Array,
  dataFile: string,
  settings: Settings,
): Promise<ServerRow> {
  const s = settings.server;
  const row: ServerRow = { payloadBytes: size, impl, verified: "no", problems: [] };
  const server = await startServerProcess(impl, size);
  try {
    const check = await verifyUnary(server.url, request, size);
    row.verified = check.detail;
    if (!check.ok) {
      row.problems.push(`verification: ${check.detail}`);
      return row;
    }
    const load = {
      url: server.url + PATHS.unaryCall,
      dataFile,
      connections: s.connections,
      streamsPerConnection: s.streamsPerConnection,
    };
    const warm = await runH2load({ ...load, durationS: s.warmupS });
    row.problems.push(...warm.problems);
    const logFile = join(tmpdir(), `tsgrpc-bench-h2load-${process.pid}.log`);
    const before = await server.sample(false);
    const coresBefore = readCoreBusyUs();
    const t0 = performance.now();
    const run = await runH2load({ ...load, durationS: s.durationS, requests: s.requests, logFile });
    const wallUs = (performance.now() - t0) * 1000;
    const coresAfter = readCoreBusyUs();
    const after = await server.sample(false);
    row.problems.push(...run.problems);
    Object.assign(row, {
      reqPerSec: round(run.reqPerSec),
      p50Us: run.p50Us,
      p99Us: run.p99Us,
      p999Us: run.p999Us,
      requests: run.done,
      cpuUsPerReq: round((after.cpuUs - before.cpuUs) / Math.max(1, run.done), 2),
      otherCpuPercent: CORES
        ? foreignPercent(coresBefore, coresAfter, Number(CORES.server), after.cpuUs - before.cpuUs, wallUs)
        : undefined,
    });
  } catch (error) {
    row.problems.push(String(error));
  } finally {
    await server.stop();
  }
  return row;
}
