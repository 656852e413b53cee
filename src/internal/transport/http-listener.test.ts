// One port for HTTP/2 and HTTP/1.1, plain and TLS, over real loopback sockets;
// clients that misbehave on purpose; teardown checked for leaks.
import { afterEach, after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as https from "node:https";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Duplex } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import * as tls from "node:tls";
import fc from "fast-check";
import { peerTlsOf } from "../../credentials/peer-tls.js";
import { assertNoLeaks } from "../../../test/e2e/leak-check.js";
import { testPki } from "../../../test/e2e/test-certs.js";
import { openHttpListener, type HttpListener, type HttpListenerOptions } from "./http-listener.js";

const pki = testPki();
const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** What the test servers answer: the request as they saw it. */
interface Echo {
  protocol: "h2" | "http/1.1";
  path: string;
  method: string;
  bodyBytes: number;
  encrypted: boolean;
  alpn: string | false | undefined;
}

/** Everything a test opened, closed after it whatever happened. */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
after(async () => {
  await assertNoLeaks();
});

interface Started {
  listener: HttpListener;
  port: number;
  /** Server-side HTTP/2 sessions, as the caller tracks them. */
  sessions: Set<http2.ServerHttp2Session>;
  http2: http2.Http2Server;
  /** Server-side HTTP/1.1 requests seen, in order. */
  http1Requests: http.IncomingMessage[];
}

/** A listener with echo handlers on both protocols; `hold` makes paths starting with /hold wait for release. */
async function start(options: Partial<HttpListenerOptions> = {}, hold?: Promise<void>): Promise<Started> {
  const h2 = http2.createServer({ settings: { maxConcurrentStreams: 1000 } });
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (s) => {
    sessions.add(s);
    s.on("error", noop);
    s.on("close", () => sessions.delete(s));
  });
  h2.on("sessionError", noop);
  h2.on("stream", (stream, headers) => {
    stream.on("error", noop);
    let bodyBytes = 0;
    stream.on("data", (c: Buffer) => (bodyBytes += c.length));
    stream.on("end", async () => {
      const path = String(headers[":path"]);
      if (hold && path.startsWith("/hold")) await hold;
      const session = stream.session;
      const echo: Echo = {
        protocol: "h2",
        path,
        method: String(headers[":method"]),
        bodyBytes,
        encrypted: session?.encrypted === true,
        alpn: session?.alpnProtocol,
      };
      if (stream.destroyed) return;
      stream.respond({ ":status": 200, "content-type": "application/json" });
      stream.end(JSON.stringify(echo));
    });
  });
  const http1Requests: http.IncomingMessage[] = [];
  const listener = await openHttpListener({
    http2: h2,
    onHttp1Request(req, res) {
      http1Requests.push(req);
      let bodyBytes = 0;
      req.on("data", (c: Buffer) => (bodyBytes += c.length));
      req.on("end", async () => {
        const path = req.url ?? "";
        // The head goes out now, the body once released.
        if (hold && path.startsWith("/hold-head")) res.writeHead(200, { "content-type": "application/json" }).flushHeaders();
        if (hold && path.startsWith("/hold")) await hold;
        const socket = req.socket as tls.TLSSocket;
        const echo: Echo = {
          protocol: "http/1.1",
          path,
          method: req.method ?? "",
          bodyBytes,
          encrypted: socket.encrypted === true,
          alpn: socket.encrypted ? (socket.alpnProtocol ?? undefined) : undefined,
        };
        if (!res.headersSent) res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(echo));
      });
    },
    sniffTimeoutMs: 1000,
    ...options,
  });
  cleanups.push(async () => {
    for (const s of sessions) s.destroy();
    listener.destroyConnections();
    await listener.close();
  });
  const address = listener.address;
  return { listener, port: "port" in address ? address.port : 0, sessions, http2: h2, http1Requests };
}

function noop(): void {}

/** Rejects if `p` takes longer than `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function connectH2(authority: string, options: http2.SecureClientSessionOptions = {}): http2.ClientHttp2Session {
  const session = http2.connect(authority, options);
  session.on("error", noop);
  cleanups.push(() => session.destroy());
  return session;
}

function h2Request(session: http2.ClientHttp2Session, path: string, body: Buffer[] = []): Promise<{ status: number; echo: Echo }> {
  return within(
    new Promise((resolve, reject) => {
      const stream = session.request({ ":method": body.length ? "POST" : "GET", ":path": path });
      let status = 0;
      const chunks: Buffer[] = [];
      stream.on("response", (h) => (status = Number(h[":status"])));
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("error", reject);
      stream.on("end", () => {
        try {
          resolve({ status, echo: JSON.parse(Buffer.concat(chunks).toString()) as Echo });
        } catch (e) {
          reject(e);
        }
      });
      for (const b of body) stream.write(b);
      stream.end();
    }),
    5000,
    `h2 ${path}`,
  );
}

interface H1Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The client's local port: the same one twice means the connection was reused. */
  localPort: number | undefined;
}

function h1Request(options: https.RequestOptions & Pick<tls.ConnectionOptions, "ALPNProtocols">, secure: boolean, body: string[] = []): Promise<H1Response> {
  return within(
    new Promise((resolve, reject) => {
      const req = (secure ? https : http).request({ host: "127.0.0.1", method: body.length ? "POST" : "GET", ...options }, (res) => {
        const localPort = res.socket.localPort;
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, localPort }));
        res.on("error", reject);
      });
      req.on("error", reject);
      // Each chunk in its own write: a chunked request body.
      for (const b of body) req.write(b);
      req.end();
    }),
    5000,
    `http/1.1 ${String(options.path)}`,
  );
}

function keepAliveAgent(): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  cleanups.push(() => agent.destroy());
  return agent;
}

/** A raw TCP connection, destroyed after the test. */
async function rawConnect(port: number, host = "127.0.0.1"): Promise<net.Socket> {
  const socket = net.connect({ port, host, noDelay: true });
  cleanups.push(() => socket.destroy());
  await within(
    new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    }),
    2000,
    "connect",
  );
  socket.on("error", noop);
  return socket;
}

/** Everything `socket` receives until the server closes it, and how long that took. */
function readUntilClosed(socket: net.Socket, timeoutMs: number): Promise<{ data: string; ms: number }> {
  const t0 = Date.now();
  let data = "";
  socket.on("data", (d: Buffer) => (data += d.toString("latin1")));
  return within(
    new Promise((resolve) => socket.once("close", () => resolve({ data, ms: Date.now() - t0 }))),
    timeoutMs,
    "server close",
  );
}

/** A connection whose first `slowBytes` bytes go out one per write, `gapMs` apart, as separate TCP segments. */
function tricklingConnection(port: number, slowBytes: number, gapMs: number): Duplex {
  const socket = net.connect({ port, host: "127.0.0.1", noDelay: true });
  socket.on("error", noop);
  let sent = 0;
  let queue = Promise.resolve();
  const duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      queue = queue.then(async () => {
        let offset = 0;
        while (sent < slowBytes && offset < chunk.length) {
          socket.write(chunk.subarray(offset, offset + 1));
          offset++;
          sent++;
          await sleep(gapMs);
        }
        if (offset < chunk.length) socket.write(chunk.subarray(offset));
      });
      void queue.then(() => callback(), callback);
    },
    final(callback) {
      void queue.then(() => socket.end(callback));
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  socket.on("data", (d: Buffer) => duplex.push(d));
  socket.on("end", () => duplex.push(null));
  socket.on("close", () => duplex.destroy());
  cleanups.push(() => duplex.destroy());
  return duplex;
}

describe("HTTP listener", { timeout: 120_000 }, () => {
  test("plain text: h2 with prior knowledge and HTTP/1.1 on one port, several requests per connection", { timeout: 15_000 }, async () => {
    const { port, http2: h2 } = await start();
    const session = connectH2(`http://127.0.0.1:${port}`);
    for (let i = 0; i < 3; i++) {
      const { status, echo } = await h2Request(session, `/h2/${i}`);
      assert.equal(status, 200);
      assert.deepEqual(echo, { protocol: "h2", path: `/h2/${i}`, method: "GET", bodyBytes: 0, encrypted: false, alpn: "h2c" });
    }
    const agent = keepAliveAgent();
    const ports = new Set<number | undefined>();
    for (let i = 0; i < 3; i++) {
      const r = await h1Request({ port, path: `/h1/${i}`, agent }, false);
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(r.body), { protocol: "http/1.1", path: `/h1/${i}`, method: "GET", bodyBytes: 0, encrypted: false });
      ports.add(r.localPort);
    }
    assert.equal(ports.size, 1, "the keep-alive connection was reused");
    // The compatibility layer stayed off.
    assert.equal(h2.listenerCount("request"), 0);
  });

  test("plain text: 500 concurrent h2 streams on one connection", { timeout: 15_000 }, async () => {
    const { port } = await start();
    const session = connectH2(`http://127.0.0.1:${port}`);
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => h2Request(session, `/c/${i}`, [Buffer.alloc(i)])));
    results.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.equal(r.echo.path, `/c/${i}`);
      assert.equal(r.echo.bodyBytes, i);
    });
  });

  test("plain text: HTTP/1.1 POST with a chunked body, then keep-alive reuse", { timeout: 15_000 }, async () => {
    const { port, http1Requests } = await start();
    const agent = keepAliveAgent();
    const chunks = ["first,", "second,", "x".repeat(70_000)];
    const a = await h1Request({ port, path: "/post", agent }, false, chunks);
    assert.equal(a.status, 200);
    assert.equal(JSON.parse(a.body).bodyBytes, 6 + 7 + 70_000);
    assert.equal(http1Requests[0]?.headers["transfer-encoding"], "chunked");
    const b = await h1Request({ port, path: "/post-2", agent }, false, ["again"]);
    assert.equal(JSON.parse(b.body).bodyBytes, 5);
    assert.equal(b.localPort, a.localPort);
    assert.equal(http1Requests[0]?.socket, http1Requests[1]?.socket);
  });

  test("a handler that throws gets its request answered 500; the server keeps serving", { timeout: 10_000 }, async () => {
    const { port } = await start({
      onHttp1Request(req, res) {
        if (req.url === "/throw") throw new Error("handler bug");
        res.end("fine");
      },
    });
    const r = await h1Request({ port, path: "/throw" }, false);
    assert.equal(r.status, 500);
    assert.equal(r.headers.connection, "close");
    assert.equal((await h1Request({ port, path: "/ok" }, false)).body, "fine");
  });

  test("the preface one byte at a time (then SETTINGS and HEADERS) is still h2; HTTP/1.1 one byte at a time too", { timeout: 15_000 }, async () => {
    const { port } = await start();
    // 24 preface bytes plus the 9-byte header of the client's SETTINGS frame, 20 ms apart.
    const session = connectH2(`http://127.0.0.1:${port}`, { createConnection: () => tricklingConnection(port, 33, 20) });
    const { status, echo } = await h2Request(session, "/trickled");
    assert.equal(status, 200);
    assert.equal(echo.protocol, "h2");
    assert.equal((await h2Request(session, "/again")).echo.path, "/again");

    const socket = await rawConnect(port);
    const got = readUntilClosed(socket, 5000);
    // "P" could still be the preface; "PO" is not.
    for (const byte of Buffer.from("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")) {
      socket.write(Buffer.from([byte]));
      await sleep(2);
    }
    const { data } = await got;
    assert.match(data, /^HTTP\/1\.1 200 /);
    assert.match(data, /"method":"POST","bodyBytes":2/);
  });

  test("clients that send nothing, or part of the preface, are dropped after sniffTimeoutMs", { timeout: 10_000 }, async () => {
    const { port } = await start({ sniffTimeoutMs: 300 });
    // Each connection's age is counted from its own connect (a loaded machine spaces them out).
    const connected = new Map<object, number>();
    const connect = async () => {
      const socket = await rawConnect(port);
      connected.set(socket, Date.now());
      return socket;
    };
    const silent = await connect();
    const partial = await connect();
    partial.write("PR");
    const almost = await connect();
    almost.write(preface.subarray(0, 23));
    // One preface byte every 100 ms: the deadline counts from the connection, not from the last byte.
    const trickling = await connect();
    let sent = 0;
    const trickle = setInterval(() => trickling.write(preface.subarray(sent, ++sent)), 100);
    cleanups.push(() => clearInterval(trickle));
    const sockets = [silent, partial, almost, trickling];
    const reading = Date.now();
    const results = await Promise.all(sockets.map((s) => readUntilClosed(s, 3000)));
    results.forEach(({ data, ms }, i) => {
      assert.equal(data, "");
      const age = reading + ms - connected.get(sockets[i]!)!;
      assert.ok(age >= 250 && age < 2000, `dropped ${age} ms after connecting`);
    });
    // A client that gives up half-way is dropped at once.
    const quitter = await rawConnect(port);
    const quit = readUntilClosed(quitter, 3000);
    quitter.end("P");
    assert.ok((await quit).ms < 250);
    // The listener still serves.
    assert.equal((await h2Request(connectH2(`http://127.0.0.1:${port}`), "/after")).status, 200);
  });

  test("garbage bytes get HTTP/1.1 400 and a close; TLS to the plain port too; the next client is served", { timeout: 10_000 }, async () => {
    const { port } = await start();
    for (const garbage of [
      Buffer.from("\x00\x01\x02garbage\r\n\r\n", "latin1"),
      Buffer.from("GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"),
      Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03]), // start of a TLS ClientHello
    ]) {
      const socket = await rawConnect(port);
      const got = readUntilClosed(socket, 3000);
      socket.write(garbage);
      assert.match((await got).data, /^HTTP\/1\.1 400 Bad Request\r\n/);
    }
    // A TLS client on the plain port fails its handshake, nothing more.
    const tlsClient = tls.connect({ port, host: "127.0.0.1", ca: pki.ca, servername: "localhost", ALPNProtocols: ["h2"] });
    cleanups.push(() => tlsClient.destroy());
    const tlsError = await within(new Promise<Error>((resolve) => tlsClient.once("error", resolve)), 3000, "tls error");
    assert.ok(tlsError instanceof Error);
    // h2 frames after a good preface that make no sense: Node's session answers GOAWAY.
    const broken = await rawConnect(port);
    const brokenDone = readUntilClosed(broken, 3000);
    broken.write(Buffer.concat([preface, Buffer.from("\x00\x00\x04\x09\x00\x00\x00\x00\x01garbage-garbage", "latin1")]));
    await brokenDone;
    assert.equal((await h2Request(connectH2(`http://127.0.0.1:${port}`), "/next")).status, 200);
    assert.equal((await h1Request({ port, path: "/next" }, false)).status, 200);
  });

  test("the internal HTTP/1.1 server enforces headersTimeout (slow headers get 408)", { timeout: 10_000 }, async () => {
    const { port } = await start({ http1: { headersTimeout: 300, requestTimeout: 600, connectionsCheckingInterval: 50 } });
    const socket = await rawConnect(port);
    const got = readUntilClosed(socket, 3000);
    socket.write("GET / HTTP/1.1\r\nHost: x\r\n");
    const { data, ms } = await got;
    assert.match(data, /^HTTP\/1\.1 408 /);
    assert.ok(ms < 2000);
  });

  test("TLS: h2 by ALPN, http/1.1 by ALPN, no ALPN is HTTP/1.1", { timeout: 15_000 }, async () => {
    const { port, listener } = await start({ tls: { key: pki.server.key, cert: pki.server.cert } });
    assert.equal(listener.secure, true);
    const session = connectH2(`https://127.0.0.1:${port}`, { ca: pki.ca });
    for (const path of ["/a", "/b"]) {
      const { echo } = await h2Request(session, path);
      assert.deepEqual(echo, { protocol: "h2", path, method: "GET", bodyBytes: 0, encrypted: true, alpn: "h2" });
    }
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: pki.ca });
    cleanups.push(() => agent.destroy());
    const a = await h1Request({ port, path: "/alpn", agent, ALPNProtocols: ["http/1.1"] }, true);
    assert.deepEqual(JSON.parse(a.body), { protocol: "http/1.1", path: "/alpn", method: "GET", bodyBytes: 0, encrypted: true, alpn: "http/1.1" });
    const b = await h1Request({ port, path: "/alpn-2", agent, ALPNProtocols: ["http/1.1"] }, true, ["body"]);
    assert.equal(b.localPort, a.localPort);
    assert.equal(JSON.parse(b.body).bodyBytes, 4);
    // Node's https client offers no ALPN unless told to.
    const c = await h1Request({ port, path: "/no-alpn", ca: pki.ca }, true);
    assert.deepEqual(JSON.parse(c.body), { protocol: "http/1.1", path: "/no-alpn", method: "GET", bodyBytes: 0, encrypted: true, alpn: false });
  });

  test("TLS: a client that offers only an unknown ALPN protocol fails its handshake; the server stays up", { timeout: 10_000 }, async () => {
    const { port } = await start({ tls: { key: pki.server.key, cert: pki.server.cert } });
    const client = tls.connect({ port, host: "127.0.0.1", ca: pki.ca, ALPNProtocols: ["spdy/3.1"] });
    cleanups.push(() => client.destroy());
    const outcome = await within(
      new Promise<string>((resolve) => {
        client.once("error", (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
        client.once("secureConnect", () => resolve(`connected alpn=${String(client.alpnProtocol)}`));
      }),
      3000,
      "unknown ALPN",
    );
    assert.match(outcome, /^error /);
    assert.equal((await h2Request(connectH2(`https://127.0.0.1:${port}`, { ca: pki.ca }), "/ok")).status, 200);
  });

  test("TLS: failed handshakes, resets mid-handshake, plain text and silence on the TLS port", { timeout: 15_000 }, async () => {
    const { port } = await start({ tls: { key: pki.server.key, cert: pki.server.cert }, sniffTimeoutMs: 300 });
    // The client refuses the server's certificate (no CA).
    const distrust = tls.connect({ port, host: "127.0.0.1", ALPNProtocols: ["h2"] });
    cleanups.push(() => distrust.destroy());
    await within(new Promise((resolve) => distrust.once("error", resolve)), 3000, "distrust");
    // A ClientHello cut short, then a reset.
    const cut = await rawConnect(port);
    cut.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]));
    await sleep(20);
    cut.resetAndDestroy();
    // Plain HTTP/1.1 and an h2 preface on the TLS port: the handshake fails and the socket closes.
    for (const bytes of [Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), preface]) {
      const s = await rawConnect(port);
      const done = readUntilClosed(s, 3000);
      s.write(bytes);
      await done;
    }
    // Silence: dropped after the handshake timeout (sniffTimeoutMs).
    const silent = await rawConnect(port);
    const { ms } = await readUntilClosed(silent, 3000);
    assert.ok(ms >= 250 && ms < 2000, `dropped after ${ms} ms`);
    assert.equal((await h2Request(connectH2(`https://127.0.0.1:${port}`, { ca: pki.ca }), "/ok")).status, 200);
    assert.equal((await h1Request({ port, path: "/ok", ca: pki.ca }, true)).status, 200);
  });

  test("mTLS: the client certificate is visible from the h2 stream's session.socket, verified or not", { timeout: 10_000 }, async () => {
    const seen: { cn: unknown; authorized: boolean; error: unknown; peerCn: string | undefined }[] = [];
    const { port, http2: h2 } = await start({
      tls: { key: pki.server.key, cert: pki.server.cert, ca: pki.ca, requestCert: true, rejectUnauthorized: false },
    });
    h2.prependListener("stream", (stream) => {
      const socket = stream.session?.socket as tls.TLSSocket;
      seen.push({
        cn: socket.getPeerCertificate().subject?.CN,
        authorized: socket.authorized,
        error: socket.authorizationError,
        peerCn: peerTlsOf(stream.session)?.certificate?.commonName,
      });
    });
    await h2Request(connectH2(`https://127.0.0.1:${port}`, { ca: pki.ca, key: pki.client.key, cert: pki.client.cert }), "/alice");
    await h2Request(
      connectH2(`https://127.0.0.1:${port}`, { ca: pki.ca, key: pki.strangerClient.key, cert: pki.strangerClient.cert }),
      "/stranger",
    );
    await h2Request(connectH2(`https://127.0.0.1:${port}`, { ca: pki.ca }), "/anonymous");
    assert.deepEqual(seen[0], { cn: "alice", authorized: true, error: null, peerCn: "alice" });
    assert.equal(seen[1]?.cn, "stranger");
    assert.equal(seen[1]?.authorized, false);
    assert.equal(seen[1]?.peerCn, "stranger");
    assert.match(String(seen[1]?.error), /^[A-Z_]+$/);
    assert.equal(seen[2]?.cn, undefined);
    assert.equal(seen[2]?.authorized, false);
    assert.equal(seen[2]?.peerCn, undefined);
  });

  test("setSecureContext: new connections get the new certificate, open ones keep theirs, fields left out stay", { timeout: 10_000 }, async () => {
    const { port, listener, http2: h2 } = await start({
      tls: { key: pki.server.key, cert: pki.server.cert, ca: pki.ca, requestCert: true, rejectUnauthorized: false },
    });
    const clientVerified: boolean[] = [];
    h2.prependListener("stream", (stream) => clientVerified.push((stream.session?.socket as tls.TLSSocket).authorized));
    const serverCn = (s: http2.ClientHttp2Session) => (s.socket as tls.TLSSocket).getPeerCertificate().subject?.CN;
    const alice = { ca: pki.ca, key: pki.client.key, cert: pki.client.cert };
    const before = connectH2(`https://127.0.0.1:${port}`, alice);
    await h2Request(before, "/1");
    assert.equal(serverCn(before), "server.test");
    assert.throws(() => listener.setSecureContext({ key: pki.server.key, cert: pki.server2.cert }), /key values mismatch/);
    const afterFailure = connectH2(`https://127.0.0.1:${port}`, alice);
    await h2Request(afterFailure, "/1b");
    assert.equal(serverCn(afterFailure), "server.test");
    // Key and cert only: the client CAs stay, so alice is still verified.
    listener.setSecureContext({ key: pki.server2.key, cert: pki.server2.cert });
    const afterRotation = connectH2(`https://127.0.0.1:${port}`, alice);
    assert.equal((await h2Request(afterRotation, "/2")).echo.alpn, "h2");
    assert.equal(serverCn(afterRotation), "server-2.test");
    assert.deepEqual(clientVerified, [true, true, true]);
    const h1 = await within(
      new Promise<unknown>((resolve, reject) => {
        const req = https.get({ host: "127.0.0.1", port, path: "/", ...alice, agent: false }, (res) => {
          resolve((res.socket as tls.TLSSocket).getPeerCertificate().subject?.CN);
          res.resume();
        });
        req.on("error", reject);
      }),
      3000,
      "https after rotation",
    );
    assert.equal(h1, "server-2.test");
    await h2Request(before, "/3");
    assert.equal(serverCn(before), "server.test");
  });

  test("setSecureContext without TLS is a TypeError", { timeout: 5000 }, async () => {
    const { listener } = await start();
    assert.equal(listener.secure, false);
    assert.throws(() => listener.setSecureContext({ key: pki.server.key, cert: pki.server.cert }), TypeError);
  });

  test("close(): stops accepting, drops sniffing connections, lets HTTP/1.1 finish, waits for HTTP/2 sessions", { timeout: 15_000 }, async () => {
    let release!: () => void;
    const { port, listener, sessions } = await start({}, new Promise<void>((resolve) => (release = resolve)));
    // An h2 session with a call in flight, an idle HTTP/1.1 keep-alive connection,
    // a busy one, and a connection still sniffing.
    const session = connectH2(`http://127.0.0.1:${port}`);
    await h2Request(session, "/warm-up");
    const h2Held = h2Request(session, "/hold-h2");
    const idleAgent = keepAliveAgent();
    const idle = await h1Request({ port, path: "/idle", agent: idleAgent }, false);
    assert.equal(idle.headers.connection, "keep-alive");
    const idleSocket = Object.values(idleAgent.freeSockets).flat()[0];
    assert.ok(idleSocket);
    const idleClosed = new Promise((resolve) => idleSocket.once("close", resolve));
    const h1Held = h1Request({ port, path: "/hold-h1", agent: keepAliveAgent() }, false);
    const headAgent = keepAliveAgent();
    const headHeld = h1Request({ port, path: "/hold-head", agent: headAgent }, false);
    const sniffing = await rawConnect(port);
    sniffing.write("PRI");
    const sniffingClosed = readUntilClosed(sniffing, 3000);
    await sleep(50);

    let closed = false;
    const closing = listener.close().then(() => (closed = true));
    assert.equal(listener.close(), listener.close());
    await within(sniffingClosed, 1000, "sniffing connection dropped");
    await within(idleClosed, 1000, "idle keep-alive connection closed");
    await assert.rejects(rawConnect(port), { code: "ECONNREFUSED" });

    release();
    const busy = await h1Held;
    assert.equal(busy.status, 200);
    assert.equal(busy.headers.connection, "close");
    // Its head went out as keep-alive before close(): the connection is closed after it all the same.
    const headFirst = await headHeld;
    assert.equal(headFirst.headers.connection, "keep-alive");
    assert.equal(JSON.parse(headFirst.body).path, "/hold-head");
    await within(
      (async () => {
        while (Object.values(headAgent.freeSockets).flat().length > 0 || Object.values(headAgent.sockets).flat().length > 0) await sleep(10);
      })(),
      1000,
      "keep-alive connection closed after its response",
    );
    assert.equal((await h2Held).status, 200);
    await sleep(50);
    assert.equal(closed, false, "the h2 session is still open: the caller closes it");
    for (const s of sessions) s.close();
    await within(closing, 3000, "close()");
    await assertNoLeaks();
  });

  test("close() then destroyConnections(): calls that never end are cut, and close() resolves", { timeout: 10_000 }, async () => {
    const { port, listener } = await start({}, new Promise<void>(() => {}));
    const session = connectH2(`http://127.0.0.1:${port}`);
    const outcome = (p: Promise<unknown>) => p.then(() => "answered", (e: Error) => e.message);
    const h2Held = outcome(h2Request(session, "/hold-h2"));
    const h1Held = outcome(h1Request({ port, path: "/hold-h1" }, false));
    await sleep(100);
    const closing = listener.close();
    await sleep(50);
    listener.destroyConnections();
    await within(closing, 2000, "close()");
    assert.notEqual(await h2Held, "answered");
    assert.equal(await h1Held, "socket hang up");
    await assertNoLeaks();
  });

  test("close() with TLS: drops connections in the handshake, drains HTTP/1.1 keep-alive", { timeout: 10_000 }, async () => {
    const { port, listener } = await start({ tls: { key: pki.server.key, cert: pki.server.cert }, sniffTimeoutMs: 5000 });
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: pki.ca });
    cleanups.push(() => agent.destroy());
    await h1Request({ port, path: "/x", agent }, true);
    const handshaking = await rawConnect(port);
    const handshakeDropped = readUntilClosed(handshaking, 3000);
    await sleep(50);
    const t0 = Date.now();
    await within(listener.close(), 2000, "close()");
    assert.ok(Date.now() - t0 < 1000);
    await handshakeDropped;
    await assertNoLeaks();
  });

  test("a unix socket path serves both protocols, plain and TLS, and is gone after close", { timeout: 10_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "tsgrpc-listener-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "s.sock");
    const { listener } = await start({ path });
    assert.deepEqual(listener.address, { path });
    const session = connectH2("http://localhost", { createConnection: () => net.connect(path) });
    assert.equal((await h2Request(session, "/unix")).echo.protocol, "h2");
    const r = await h1Request({ socketPath: path, path: "/unix" }, false);
    assert.equal(JSON.parse(r.body).protocol, "http/1.1");
    session.destroy();
    await listener.close();
    assert.equal(existsSync(path), false);

    const securePath = join(dir, "tls.sock");
    await start({ path: securePath, tls: { key: pki.server.key, cert: pki.server.cert } });
    const connect = (alpn: string[]) => () => tls.connect({ path: securePath, ca: pki.ca, servername: "localhost", ALPNProtocols: alpn });
    const secure = connectH2("https://localhost", { createConnection: connect(["h2"]) });
    assert.equal((await h2Request(secure, "/unix-tls")).echo.alpn, "h2");
    const h1 = await h1Request({ socketPath: securePath, path: "/unix-tls", createConnection: connect(["http/1.1"]) }, true);
    assert.equal(JSON.parse(h1.body).alpn, "http/1.1");
  });

  test("IPv6 ::1, plain and TLS", { timeout: 10_000 }, async () => {
    const plain = await start({ host: "::1" });
    assert.deepEqual(plain.listener.address, { host: "::1", port: plain.port });
    assert.equal((await h2Request(connectH2(`http://[::1]:${plain.port}`), "/v6")).echo.protocol, "h2");
    assert.equal(JSON.parse((await h1Request({ host: "::1", port: plain.port, path: "/v6" }, false)).body).protocol, "http/1.1");
    const secure = await start({ host: "::1", tls: { key: pki.server.key, cert: pki.server.cert } });
    assert.equal((await h2Request(connectH2(`https://[::1]:${secure.port}`, { ca: pki.ca }), "/v6")).echo.alpn, "h2");
  });

  test("200 clients sending random bytes (some after a piece of the preface) are all closed; the server keeps serving", { timeout: 20_000 }, async () => {
    const { port, sessions } = await start({ sniffTimeoutMs: 300 });
    const clients = fc.sample(
      fc.record({
        prefaceBytes: fc.constantFrom(0, 0, 1, 3, 23, 24, 24),
        tail: fc.uint8Array({ maxLength: 200 }),
        halfClose: fc.boolean(),
      }),
      { numRuns: 200, seed: 42 },
    );
    const stillOpen: typeof clients = [];
    await Promise.all(
      clients.map(async (client) => {
        const socket = await rawConnect(port);
        const closed = readUntilClosed(socket, 8000);
        socket.write(Buffer.concat([preface.subarray(0, client.prefaceBytes), client.tail]));
        if (client.halfClose) socket.end();
        // The server ends the others: a 400, a GOAWAY, the client's FIN, the sniff deadline.
        if ((await Promise.race([closed.then(() => "closed"), sleep(1500)])) !== "closed") stillOpen.push(client);
      }),
    );
    // Only valid HTTP/2 starts can stay: a preface and nothing else, or frames
    // Node accepts. Ending idle sessions is the caller's (keepalive, timeouts).
    for (const client of stillOpen) assert.equal(client.prefaceBytes, 24, JSON.stringify(client));
    for (const s of sessions) s.destroy();
    assert.equal((await h2Request(connectH2(`http://127.0.0.1:${port}`), "/after")).status, 200);
    assert.equal((await h1Request({ port, path: "/after" }, false)).status, 200);
  });

  test("a port in use rejects with EADDRINUSE and leaves nothing open", { timeout: 10_000 }, async () => {
    const { port } = await start();
    const h2 = http2.createServer();
    await assert.rejects(openHttpListener({ http2: h2, onHttp1Request: noop, port }), { code: "EADDRINUSE" });
  });

  test("bad options are TypeErrors", { timeout: 5000 }, async () => {
    const withCompat = http2.createServer();
    withCompat.on("request", noop);
    await assert.rejects(openHttpListener({ http2: withCompat, onHttp1Request: noop }), /no 'request' listener/);
    const h2 = http2.createServer();
    await assert.rejects(openHttpListener({ http2: h2, onHttp1Request: noop, sniffTimeoutMs: 0 }), TypeError);
    await assert.rejects(openHttpListener({ http2: h2, onHttp1Request: noop, path: "/x", port: 1 }), TypeError);
    await assert.rejects(openHttpListener({ http2: h2, onHttp1Request: noop, port: 70_000 }), TypeError);
    await assert.rejects(openHttpListener({ http2: {} as http2.Http2Server, onHttp1Request: noop }), TypeError);
  });
});
