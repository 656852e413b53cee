// The layers point one way. internal/ is below everything and imports
// nothing from the layers above it; the HTTP/2 machinery in
// internal/transport/ is reached from outside internal/ only through its
// seams: the wire interfaces of both sides, the gRPC wires (by the one
// dispatcher that chooses protocols, and by the channel), and the client
// connection (by the channel).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const src = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** Every relative import of every source file, as paths relative to src/. */
function imports(): { from: string; to: string }[] {
  const edges: { from: string; to: string }[] = [];
  for (const file of sourceFiles(src)) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/^(?:import|export)[^'"]*?from\s+["'](\.[^"']+)["']/gm)) {
      const target = resolve(dirname(file), m[1]!).replace(/\.js$/, ".ts");
      edges.push({ from: relative(src, file), to: relative(src, target) });
    }
  }
  return edges;
}

test("internal/ imports nothing from the layers above it", () => {
  const above = /^(server|client|testing|interceptors)\//;
  const bad = imports().filter((e) => e.from.startsWith("internal/") && above.test(e.to));
  assert.deepEqual(bad, []);
});

test("outside internal/, the transport is reached only through its seams", () => {
  const seams: Record<string, RegExp> = {
    "internal/transport/server-wire.ts": /^(server|testing)\/|^transcoding\/rest-server-wire\.ts$/,
    // The REST wire waits for 'drain' like the gRPC wire.
    "internal/transport/drain-waiter.ts": /^transcoding\/rest-server-wire\.ts$/,
    "internal/transport/grpc-server-wire.ts": /^server\/http2-dispatch\.ts$/,
    "internal/transport/flow-control-windows.ts": /^server\/create-server\.ts$/,
    "internal/transport/subchannel.ts": /^client\/(channel-connection|health-checked-subchannel|check-channel-options|balancer\/load-balancer|resolver\/resolver)\.ts$/,
    "internal/transport/client-wire.ts": /^(client|testing)\//,
    "internal/transport/http-listener.ts": /^server\/(create-server|server-tls|connection-manager)\.ts$/,
    // The connection manager ends sessions (GOAWAY) and polices their PINGs.
    "internal/transport/goaway.ts": /^server\/connection-manager\.ts$/,
    "internal/transport/keepalive-enforcement.ts": /^server\/connection-manager\.ts$/,
    // It counts a session's streams, and learns of their end with the wires' one 'close' listener.
    "internal/transport/stream-close.ts": /^server\/connection-manager\.ts$/,
    "internal/transport/grpc-client-wire.ts": /^client\/(channel|health-checked-subchannel)\.ts$/,
    // gRPC-Web and Connect: the dispatchers wrap a request in an exchange; the web dispatch picks the wire.
    "internal/transport/http-exchange.ts": /^(server\/(http1-dispatch|http2-dispatch|web-dispatch|rest-dispatch)\.ts|transcoding\/rest-server-wire(\.test)?\.ts)$/,
    "internal/transport/exchange-server-wire.ts": /^server\/web-dispatch\.ts$/,
    "internal/transport/grpc-web-server-wire.ts": /^server\/web-dispatch\.ts$/,
    "internal/transport/connect-server-wire.ts": /^server\/web-dispatch\.ts$/,
    "internal/transport/connect-client-wire.ts": /^client\/connect-channel\.ts$/,
    // The browser transports (tsgrpc/web) drive ClientCall over fetch.
    "internal/transport/fetch-client-wire.ts": /^web\/fetch-transport\.ts$/,
  };
  const bad = imports().filter((e) => {
    if (e.from.startsWith("internal/") || !e.to.startsWith("internal/transport/")) return false;
    const allowed = seams[e.to];
    return !allowed || !allowed.test(e.from);
  });
  assert.deepEqual(bad, []);
});

test("the library imports no test peers or test tools", () => {
  const peers = /from\s+["'](@grpc\/|@connectrpc\/|fast-check)/;
  const bad = sourceFiles(src).filter((f) => peers.test(readFileSync(f, "utf8"))).map((f) => relative(src, f));
  assert.deepEqual(bad, []);
});

test("the tsgrpc command uses the public API only (the package's entry points)", () => {
  // And two plain helpers the library shares with it: metadata/binary-header.ts (`-H key-bin: …`
  // values decode as a server decodes received ones) and internal/imports-first.ts (descriptor
  // files ordered after their imports, as reflection orders them).
  const entries =
    /^(index|health\/index|reflection\/index|transcoding\/index|status\/error-details|testing\/index|interceptors\/index|metadata\/binary-header|internal\/imports-first)\.ts$/;
  const bad = imports().filter((e) => e.from.startsWith("cli/") && !e.to.startsWith("cli/") && !entries.test(e.to));
  assert.deepEqual(bad, []);
});
