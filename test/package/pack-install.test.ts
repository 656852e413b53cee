// The package as a user gets it: `npm pack`, then the README's "Use it in
// your own project" in a scratch folder outside the repository — install the
// tarball and the README's packages, write the README's files, `buf generate`,
// `tsc` (nodenext, then bundler resolution), and run the server and client
// with plain `node` on the compiled JavaScript and with `node --import tsx`.
// It also imports every entry of the installed package's `exports` (ESM,
// `require()` where Node has require(esm), and TypeScript with both
// resolutions and full checking of our .d.ts).
//
// Offline: packages come from npm's cache, as the repository's `npm ci` left
// it (see offline-lockfile.ts). Servers listen on 127.0.0.1 only. Set
// TSGRPC_KEEP_SCRATCH=1 to keep the scratch folder for a look afterwards.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { killAll, run, scratchEnv, start, type RunOptions } from "./child-process.js";
import { lockedVersion, readLockfile, scratchLockfile, type ScratchDependencies } from "./offline-lockfile.js";
import { blockWith, readReadmeProject, words, type ReadmeProject } from "./readme-project.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const repoManifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  name: string;
  version: string;
  exports: Record<string, unknown>;
};

/** Bounds: each step, and the whole suite. */
const STEP_MS = 60_000;
const RUN_MS = 20_000;
const SUITE_MS = 120_000;

/** npm for child processes, run by this Node (so the Node matrix tests its own npm runs too). */
function npmCommand(): [string, string[]] {
  const cli = process.env.npm_execpath;
  if (cli && /npm-cli\.[cm]?js$/.test(cli)) return [process.execPath, [cli]];
  return ["npm", []];
}

/** The JavaScript file an `exports` entry resolves to for `import`, if any. */
function importTarget(entry: unknown): string | undefined {
  if (typeof entry === "string") return entry;
  if (entry && typeof entry === "object") {
    for (const condition of ["node", "import", "default"]) {
      const t = importTarget((entry as Record<string, unknown>)[condition]);
      if (t) return t;
    }
  }
  return undefined;
}

describe("the npm package, installed as the README says", { timeout: SUITE_MS }, () => {
  const env = scratchEnv(repoRoot);
  const [npm, npmArgs] = npmCommand();
  const readme: ReadmeProject = readReadmeProject(join(repoRoot, "README.md"));
  let scratch = "";
  let tarball = "";
  let packedFiles: string[] = [];
  let project = "";
  let installed: { name: string; version: string; exports: Record<string, unknown>; main?: string; types?: string };

  const inProject = (timeoutMs = STEP_MS): RunOptions => ({ cwd: project, env, timeoutMs });
  const runNpm = (args: string[], options: RunOptions) => run(npm, [...npmArgs, ...args], options);

  /** Runs one README command line in the project: `npm …`, `npx …` or `node …`. */
  const runReadmeCommand = (line: string, options: RunOptions) => {
    const [program, ...args] = words(line);
    if (program === "npm") return runNpm(args, options);
    if (program === "npx") return runNpm(["exec", "--", ...args], options);
    if (program === "node") return run(process.execPath, args, options);
    throw new Error(`the package test cannot run this README command: ${line}`);
  };

  before(async () => {
    // realpath: macOS's tmpdir is a symlink, and "outside the repository" must hold for the real path.
    scratch = realpathSync(mkdtempSync(join(tmpdir(), "tsgrpc-package-")));
    assert.ok(!(scratch + sep).startsWith(repoRoot + sep), "the scratch folder must be outside the repository");

    // npm pack runs `prepare`, which builds dist/.
    const out = join(scratch, "pack");
    mkdirSync(out);
    const { stdout } = await runNpm(["pack", "--json", "--pack-destination", out], { cwd: repoRoot, env, timeoutMs: STEP_MS });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    assert.ok(packed, "npm pack reported no package");
    tarball = join(out, packed.filename);
    packedFiles = packed.files.map((f) => f.path).sort();

    // The README's setup block: mkdir, cd, npm init, npm pkg set — then its two installs, offline.
    const setup = blockWith(readme, "npm init -y");
    let cwd = scratch;
    const deps: ScratchDependencies = { dependencies: {}, devDependencies: {} };
    const lock = readLockfile(join(repoRoot, "package-lock.json"));
    for (const line of setup.commands.flatMap((c) => c.split(" && "))) {
      const [program, ...args] = words(line);
      if (program === "mkdir") mkdirSync(join(cwd, args[0]!));
      else if (program === "cd") cwd = join(cwd, args[0]!);
      else if (program === "npm" && args[0] === "install") {
        const dev = args.includes("--save-dev") || args.includes("-D");
        for (const spec of args.slice(1).filter((a) => !a.startsWith("-"))) {
          if (spec.endsWith(".tgz")) {
            assert.equal(basename(spec), packed.filename, "the README installs the tarball that npm pack writes");
            deps.dependencies[repoManifest.name] = `file:${tarball}`;
          } else {
            const name = spec.replace(/(?<=.)@.*$/, "");
            (dev ? deps.devDependencies : deps.dependencies)[name] = `^${lockedVersion(lock, name)}`;
          }
        }
      } else await runReadmeCommand(line, { cwd, env, timeoutMs: STEP_MS });
    }
    project = cwd;
    assert.ok(deps.dependencies[repoManifest.name], "the README installs the tsgrpc tarball");

    const manifestPath = join(project, "package.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { name: string; version: string };
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, ...deps }, null, 2));
    const packedManifest = JSON.parse((await run("tar", ["-xzOf", tarball, "package/package.json"], inProject())).stdout);
    const lockfile = scratchLockfile({ lock, projectDir: project, project: manifest, deps, tarball, manifest: packedManifest });
    writeFileSync(join(project, "package-lock.json"), JSON.stringify(lockfile, null, 2));
    await runNpm(["ci", "--offline"], inProject());
    installed = JSON.parse(readFileSync(join(project, "node_modules", repoManifest.name, "package.json"), "utf8"));

    for (const [path, text] of readme.files) {
      mkdirSync(dirname(join(project, path)), { recursive: true });
      writeFileSync(join(project, path), text);
    }
  });

  after(() => {
    killAll();
    if (!scratch) return;
    if (process.env.TSGRPC_KEEP_SCRATCH) console.log(`scratch project kept in ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  });

  test("the tarball holds dist/ (JavaScript, .d.ts, source maps), README, LICENSE and package.json, nothing else", () => {
    const stray = packedFiles.filter((f) => !["package.json", "README.md", "LICENSE"].includes(f) && !/^dist\/.+\.(js|d\.ts|js\.map)$/.test(f));
    assert.deepEqual(stray, [], "files outside dist/ or of another kind");
    assert.deepEqual(packedFiles.filter((f) => /\.test\.|(^|\/)test\//.test(f)), [], "tests in the tarball");
    for (const js of packedFiles.filter((f) => f.endsWith(".js"))) {
      const stem = js.slice(0, -3);
      assert.ok(packedFiles.includes(`${stem}.d.ts`), `${js} has no .d.ts`);
      assert.ok(packedFiles.includes(`${js}.map`), `${js} has no source map`);
    }
    for (const field of ["main", "types"] as const) {
      const target = installed[field];
      assert.ok(target, `package.json has no top-level "${field}"`);
      assert.ok(packedFiles.includes(target.replace(/^\.\//, "")), `"${field}": ${target} is not in the tarball`);
    }
  });

  test("no .d.ts in the tarball mentions @internal", () => {
    const leaks = packedFiles
      .filter((f) => f.endsWith(".d.ts"))
      .filter((f) => readFileSync(join(project, "node_modules", repoManifest.name, f), "utf8").includes("@internal"));
    assert.deepEqual(leaks, [], "stripInternal should drop every @internal declaration");
  });

  test("every entry of exports imports: ESM, require(esm), and TypeScript with nodenext and bundler resolution", async () => {
    const entries = Object.entries(installed.exports).filter(([key, entry]) => {
      const target = importTarget(entry);
      return !key.includes("*") && target !== undefined && /\.[cm]?js$/.test(target);
    });
    assert.ok(entries.length >= 1, "exports has no JavaScript entry");
    const specifiers = entries.map(([key]) => (key === "." ? installed.name : `${installed.name}/${key.slice(2)}`));
    for (const [key, entry] of entries) {
      const target = importTarget(entry)!.replace(/^\.\//, "");
      assert.ok(packedFiles.includes(target), `exports["${key}"] → ${target} is not in the tarball`);
    }

    const esm = `for (const s of ${JSON.stringify(specifiers)}) { const m = await import(s); console.log(s, Object.keys(m).length); }`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", esm], inProject(RUN_MS));
    assert.equal(stdout.trim().split("\n").length, specifiers.length, stdout);

    if (process.features.require_module) {
      const cjs = `for (const s of ${JSON.stringify(specifiers)}) require(s);`;
      await run(process.execPath, ["--input-type=commonjs", "--no-warnings", "-e", cjs], inProject(RUN_MS));
    }

    const check = "exports-check";
    mkdirSync(join(project, check));
    writeFileSync(
      join(project, check, "imports.ts"),
      specifiers.map((s, i) => `import * as entry${i} from "${s}";\nconsole.log(entry${i});\n`).join(""),
    );
    writeFileSync(
      join(project, check, "tsconfig.json"),
      JSON.stringify({ extends: "../tsconfig.json", compilerOptions: { noEmit: true, skipLibCheck: false, rootDir: "." }, include: ["imports.ts"] }),
    );
    const tsc = join(project, "node_modules", ".bin", "tsc");
    await run(tsc, ["-p", check], inProject());
    await run(tsc, ["-p", check, "--module", "esnext", "--moduleResolution", "bundler"], inProject());
  });

  test("README: buf generate, then tsc with nodenext and with bundler resolution", async () => {
    const build = blockWith(readme, "npx tsc");
    for (const line of build.commands.filter((c) => c.startsWith("npx "))) {
      await runReadmeCommand(line, inProject());
    }
    await runReadmeCommand("npx tsc --noEmit --module esnext --moduleResolution bundler", inProject());
  });

  /** Runs a README server command and its client against it; checks the printed lines. */
  async function serverAndClient(block: ReturnType<typeof blockWith>): Promise<void> {
    const serverAt = block.commands.findIndex((c) => c.startsWith("node ") && c.includes("server"));
    const clientAt = block.commands.findIndex((c) => c.startsWith("node ") && c.includes("client"));
    assert.ok(serverAt >= 0 && clientAt >= 0, `no server and client command in:\n${block.text}`);
    const [, ...serverArgs] = words(block.commands[serverAt]!);
    const [, ...clientArgs] = words(block.commands[clientAt]!);

    const server = await start(process.execPath, serverArgs, {
      ...inProject(RUN_MS),
      env: { ...env, PORT: "0" },
      ready: /^listening on (127\.0\.0\.1):(\d+)$/m,
    });
    try {
      const [, host, port] = server.ready;
      const { stdout } = await run(process.execPath, clientArgs, {
        ...inProject(RUN_MS),
        env: { ...env, TARGET: `http://${host}:${port}` },
      });
      assert.deepEqual(stdout.trim().split("\n"), expectedClientLines(), "the client's output, as the README shows it");
    } finally {
      const end = await server.stop(5000);
      assert.equal(end.signal, null, `the server did not exit on SIGTERM by itself:\n${end.stderr}`);
      assert.equal(end.code, 0, `the server failed:\n${end.stderr}`);
    }
  }

  /** What the README says the client prints: the comment after `node dist/client.js`, lines split at " / ". */
  function expectedClientLines(): string[] {
    const block = blockWith(readme, "node dist/client.js");
    const comment = block.comments[block.commands.indexOf("node dist/client.js")] ?? "";
    const lines = comment.split(" / ").map((s) => s.trim()).filter(Boolean);
    assert.ok(lines.length > 0, "the README shows no client output after `node dist/client.js`");
    return lines;
  }

  test("README: server and client under plain node, on the compiled JavaScript", async () => {
    await serverAndClient(blockWith(readme, "npx tsc"));
  });

  test("npx tsgrpc list, describe, call, health and bench against the README's server, with nothing but its address", async () => {
    const server = await start(process.execPath, ["dist/server.js"], { ...inProject(RUN_MS), env: { ...env, PORT: "0" }, ready: /^listening on (127\.0\.0\.1):(\d+)$/m });
    try {
      const target = `${server.ready[1]}:${server.ready[2]}`;
      const tsgrpc = (...args: string[]) => runNpm(["exec", "--offline", "--", "tsgrpc", ...args], inProject(RUN_MS));
      assert.match((await tsgrpc("list", target)).stdout, /^greeter\.v1\.GreeterService$/m);
      assert.match((await tsgrpc("describe", target, "greeter.v1.GreeterService")).stdout, /rpc SayHellos\(\.greeter\.v1\.SayHelloRequest\) returns \(stream \.greeter\.v1\.SayHelloResponse\);/);
      const call = await tsgrpc("call", target, "greeter.v1.GreeterService/SayHello", "-d", '{"name":"cli"}', "-H", "authorization: Bearer example-token");
      assert.deepEqual(JSON.parse(call.stdout), { message: "Hello, cli!" });
      assert.equal((await tsgrpc("health", target)).stdout, "SERVING\n");
      const bench = await tsgrpc("bench", target, "greeter.v1.GreeterService/SayHellos", "-d", '{"name":"b"}', "-n", "20", "--format", "json");
      assert.deepEqual((JSON.parse(bench.stdout) as { statuses: unknown }).statuses, { OK: 20 });
    } finally {
      await server.stop(5000);
    }
  });

  test("README: server and client under node --import tsx, from the TypeScript sources", async () => {
    const block = readme.shell.find((b) => b.commands.some((c) => c.startsWith("node --import tsx ")));
    assert.ok(block, "the README shows no `node --import tsx` commands");
    await serverAndClient(block);
  });
});
