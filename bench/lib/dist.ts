/**
 * Where the compiled tsgrpc the bench measures lives, and a check that it is
 * there and not older than the source (a stale build would measure other code).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT_DIR = fileURLToPath(new URL("../../", import.meta.url));
export const DIST_DIR = join(ROOT_DIR, "dist");
const SRC_DIR = join(ROOT_DIR, "src");

/** Why `dist/` cannot be measured, or undefined when it is fresh. */
export function distProblem(): string | undefined {
  const index = join(DIST_DIR, "index.js");
  if (!existsSync(index)) return "dist/index.js is missing: run `npm run build` (npm run bench does)";
  const built = statSync(index).mtimeMs;
  const newer = newestSource(SRC_DIR);
  if (newer && newer.mtimeMs > built) {
    return `dist/ is older than ${newer.path.slice(ROOT_DIR.length)}: run \`npm run build\` (npm run bench does)`;
  }
  return undefined;
}

function newestSource(dir: string): { path: string; mtimeMs: number } | undefined {
  let newest: { path: string; mtimeMs: number } | undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const found = entry.isDirectory()
      ? newestSource(path)
      : /\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)
        ? { path, mtimeMs: statSync(path).mtimeMs }
        : undefined;
    if (found && (!newest || found.mtimeMs > newest.mtimeMs)) newest = found;
  }
  return newest;
}
