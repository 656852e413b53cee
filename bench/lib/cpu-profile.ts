/**
 * Summaries of V8 CPU profiles (`node --cpu-prof`): where the samples land
 * (self time), and which functions of ours are on the stack (inclusive).
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

export interface ProfileSummary {
  samples: number;
  /** Share of samples with the thread idle (waiting in the event loop); all other shares are of busy samples. */
  idle: number;
  /** Share of all samples by where the sampled frame lives. */
  categories: Array<{ name: string; share: number }>;
  /** Functions by self samples. */
  self: Array<{ frame: string; share: number }>;
  /** Functions of `ownPrefix` files by samples with them anywhere on the stack. */
  inclusive: Array<{ frame: string; share: number }>;
}

/** Where a frame lives, for the category table. */
function categoryOf(url: string, name: string, ownPrefix: string): string {
  if (name === "(garbage collector)") return "garbage collector";
  if (name === "(program)") return "V8/native (program)";
  if (url.includes(ownPrefix)) return "tsgrpc (dist/)";
  if (url.includes("@bufbuild/protobuf")) return "@bufbuild/protobuf";
  if (url.includes("@grpc/grpc-js")) return "@grpc/grpc-js";
  if (url.includes("@connectrpc")) return "Connect";
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/").slice(0, 3).join("/")}`;
  if (url === "") return "native/builtin";
  if (url.includes("/bench/")) return "bench harness";
  return "other";
}

function shortUrl(url: string): string {
  const at = url.search(/\/(src|bench|node_modules)\//);
  return at >= 0 ? url.slice(at + 1).replace(/^node_modules\//, "") : url;
}

export function summarizeProfile(file: string, ownPrefix: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) byId.set(node.id, node);
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const frameOf = (node: ProfileNode): string => {
    const { functionName, url, lineNumber } = node.callFrame;
    // Code transpiled by tsx reports line 0 for everything: leave it out.
    const line = lineNumber > 0 ? `:${lineNumber + 1}` : "";
    return url ? `${shortUrl(url)}${line} ${functionName || "(anonymous)"}` : functionName || "(anonymous)";
  };

  const categories = new Map<string, number>();
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let idle = 0;
  for (const id of profile.samples) {
    const node = byId.get(id)!;
    const { url, functionName } = node.callFrame;
    if (functionName === "(idle)") {
      idle++;
      continue;
    }
    const category = categoryOf(url, functionName, ownPrefix);
    categories.set(category, (categories.get(category) ?? 0) + 1);
    self.set(frameOf(node), (self.get(frameOf(node)) ?? 0) + 1);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frameNode = byId.get(at)!;
      if (!frameNode.callFrame.url.includes(ownPrefix)) continue;
      const frame = frameOf(frameNode);
      if (seen.has(frame)) continue;
      seen.add(frame);
      inclusive.set(frame, (inclusive.get(frame) ?? 0) + 1);
    }
  }
  const total = Math.max(1, profile.samples.length - idle);
  const ranked = (map: Map<string, number>, key: "name" | "frame") =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, count]) => ({ [key]: name, share: Math.round((1000 * count) / total) / 10 }));
  return {
    samples: profile.samples.length,
    idle: Math.round((1000 * idle) / Math.max(1, profile.samples.length)) / 10,
    categories: ranked(categories, "name") as ProfileSummary["categories"],
    self: ranked(self, "frame") as ProfileSummary["self"],
    inclusive: ranked(inclusive, "frame") as ProfileSummary["inclusive"],
  };
}

export function renderProfile(title: string, summary: ProfileSummary): string {
  const rows = (items: Array<{ name?: string; frame?: string; share: number }>) =>
    items.map((i) => `| ${(i.name ?? i.frame ?? "").replace(/\|/g, "/")} | ${i.share.toFixed(1)} % |`).join("\n");
  return [
    `#### ${title}`,
    "",
    `${summary.samples} samples, ${summary.idle} % idle; shares below are of the busy samples.`,
    "",
    "| where (self time) | share |\n| --- | --- |",
    rows(summary.categories),
    "",
    "| function (self time) | share |\n| --- | --- |",
    rows(summary.self),
    "",
    "| tsgrpc function on the stack (inclusive) | share |\n| --- | --- |",
    rows(summary.inclusive),
    "",
  ].join("\n");
}
