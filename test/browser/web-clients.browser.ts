// tsgrpc/web in a real browser: Debian's Chromium (driven by playwright-core,
// which never downloads one) loads a page from one loopback origin that calls
// a tsgrpc server on another, by gRPC-Web and by Connect: unary, server
// streaming, errors with details, deadlines, and the CORS preflight that
// gRPC-Web's content type requires. A page of an origin the server does not
// allow is refused. Run with `npm run test:browser`.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";
import { Code, RpcError, createDetail, createServer, type Server } from "../../src/index.js";
import { ErrorInfoSchema } from "../../src/status/error-details.js";
import { UserService } from "../../examples/users/gen/users/v1/users_pb.js";
import { createUserStore, userService } from "../../examples/users/user-service.js";
import { EchoService } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { echoService } from "../e2e/echo-service.js";

const here = dirname(fileURLToPath(import.meta.url));
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

let api: Server;
let apiBase: string;
let pages: http.Server;
let pageOrigin: string;
let otherOrigin: string;
let browser: Browser;
const preflights: string[] = [];

before(async () => {
  assert.ok(existsSync(chromiumPath), `Chromium not found at ${chromiumPath} (apt-get install -y chromium)`);
  const bundle = await build({ entryPoints: [resolve(here, "page.ts")], bundle: true, format: "esm", platform: "browser", write: false, logLevel: "silent" });
  const script = bundle.outputFiles[0]!.text;
  // One HTTP server, reached under two origins: localhost (allowed by the API) and 127.0.0.1 (not).
  pages = http.createServer((req, res) => {
    if (req.url === "/page.js") res.writeHead(200, { "content-type": "text/javascript" }).end(script);
    else res.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><meta charset="utf-8"><title>tsgrpc</title><script type="module" src="/page.js"></script>');
  });
  await new Promise<void>((ok) => pages.listen(0, "127.0.0.1", ok));
  const pagePort = (pages.address() as { port: number }).port;
  pageOrigin = `http://localhost:${pagePort}`;
  otherOrigin = `http://127.0.0.1:${pagePort}`;

  const echo = echoService();
  api = createServer({
    // Connect unary responses go out gzipped (the browser's accept-encoding), and fetch decodes them.
    compression: "gzip",
    cors: {
      allowedOrigins: [pageOrigin],
      allowedHeaders: ["x-header-h"],
      exposedHeaders: ["x-header-h", "x-why"],
    },
  })
    .service(UserService, userService(createUserStore()))
    .service(EchoService, {
      ...echo,
      async unary(req, ctx) {
        if (req.tag === "details") throw new RpcError(Code.FAILED_PRECONDITION, "no stock ☺", { details: [createDetail(ErrorInfoSchema, { reason: "STOCKOUT" })], metadata: { "x-why": "stock" } });
        return echo.unary!(req, ctx);
      },
    });
  const { port } = await api.listen("127.0.0.1:0");
  apiBase = `http://127.0.0.1:${port}`;
  browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"], timeout: 30_000 });
});

after(async () => {
  await browser?.close();
  await api?.close({ graceMs: 100 });
  await new Promise((ok) => pages?.close(ok));
});

async function runIn(origin: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  cdp.on("Network.requestWillBeSent", (e: { type?: string; request: { method: string; url: string } }) => {
    if (e.type === "Preflight" || e.request.method === "OPTIONS") preflights.push(`${origin} ${e.request.url}`);
  });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${origin}/`, { timeout: 10_000 });
  await page.waitForFunction(() => "tsgrpcRun" in globalThis, undefined, { timeout: 10_000 });
  const result = await page.evaluate((base) => (globalThis as unknown as { tsgrpcRun(b: string): Promise<unknown> }).tsgrpcRun(base), apiBase);
  await context.close();
  assert.deepEqual(errors, []);
  return result as Record<string, Record<string, unknown> | string>;
}

test("a page of an allowed origin calls the service by gRPC-Web and by Connect", { timeout: 40_000 }, async () => {
  const result = await runIn(pageOrigin);
  for (const protocol of ["grpc-web", "connect", "connect-get"]) {
    const r = result[protocol];
    assert.equal(typeof r, "object", `${protocol}: ${String(r)}`);
    assert.deepEqual(r, {
      unaryName: "grace",
      header: "from-browser",
      streamed: ["ada", "grace", "alan"],
      errorCode: Code.FAILED_PRECONDITION,
      errorMessage: "no stock ☺",
      errorReason: "STOCKOUT",
      errorMetadata: "stock",
      deadlineCode: Code.DEADLINE_EXCEEDED,
      midStreamCode: Code.ABORTED,
      midStreamCount: 2,
    }, protocol);
  }
  assert.ok(
    preflights.some((p) => p.startsWith(pageOrigin)),
    `the browser sent CORS preflights (seen: ${preflights.length})`,
  );
});

test("a page of another origin is refused by CORS", { timeout: 30_000 }, async () => {
  const result = await runIn(otherOrigin);
  for (const protocol of ["grpc-web", "connect"]) {
    assert.equal(typeof result[protocol], "string", protocol);
    assert.match(String(result[protocol]), /^14 /, `${protocol}: the browser blocks the call (UNAVAILABLE)`);
  }
});
