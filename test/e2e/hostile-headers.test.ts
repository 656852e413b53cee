// A server can send more header fields than Node accepts (128 pairs): the call fails with a clear status and the client
// process survives the garbage collection of those sessions. Node has had
// aborts on that path (doc/node-http2-header-limit-abort.md), so the victim
// runs in a child process with --expose-gc, and the test wants it to exit
// cleanly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { FrameType, dataFrame, encodeFrame, encodeHeaderBlock, headersFrame, startRawServer, type RawConnection } from "./h2-frames.js";

const response: [string, string][] = [
  [":status", "200"],
  ["content-type", "application/grpc"],
];

function fields(count: number, name: (i: number) => string, value = "v".repeat(20)): [string, string][] {
  return Array.from({ length: count }, (_, i) => [name(i), value]);
}

/** A header block over as many HEADERS/CONTINUATION frames of 16 KiB as it takes. */
function headerFrames(streamId: number, block: Buffer, endStream: boolean): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o < block.byteLength; o += 16_384) {
    const flags = (o + 16_384 >= block.byteLength ? 0x4 : 0) | (o === 0 && endStream ? 0x1 : 0);
    out.push(encodeFrame(o === 0 ? FrameType.HEADERS : FrameType.CONTINUATION, flags, streamId, block.subarray(o, o + 16_384)));
  }
  return out;
}

const cases: Record<string, (conn: RawConnection, id: number) => void> = {
  "200 header pairs": (c, id) => c.send(...headerFrames(id, encodeHeaderBlock([...response, ...fields(200, (i) => `x-h${i}`)]), false)),
  "200 pairs of one name": (c, id) => c.send(...headerFrames(id, encodeHeaderBlock([...response, ...fields(200, () => "x-same")]), false)),
  "200 pairs, trailers-only": (c, id) =>
    c.send(...headerFrames(id, encodeHeaderBlock([...response, ["grpc-status", "0"], ...fields(200, (i) => `x-h${i}`)]), true)),
  "200 trailer pairs": (c, id) =>
    c.send(
      headersFrame(id, encodeHeaderBlock(response)),
      dataFrame(id, Buffer.alloc(5)),
      ...headerFrames(id, encodeHeaderBlock([["grpc-status", "0"], ...fields(200, (i) => `x-h${i}`)]), true),
    ),
  "3000 pairs over CONTINUATION frames": (c, id) => c.send(...headerFrames(id, encodeHeaderBlock([...response, ...fields(3000, (i) => `x-h${i}`)]), false)),
};

test("responses over Node's header limits fail the call, and the client process survives collecting their sessions", { timeout: 60_000 }, async () => {
  const servers = await Promise.all(
    Object.values(cases).map((send) =>
      startRawServer((conn) => {
        conn.onFrame((f) => {
          if (f.type === FrameType.HEADERS) send(conn, f.streamId);
        });
      }),
    ),
  );
  try {
    const victim = fileURLToPath(new URL("./fixtures/hostile-headers-victim.ts", import.meta.url));
    const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", victim, ...servers.map((s) => String(s.port))], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("exit", (c, s) => resolve([c, s])));
    assert.equal(signal, null, `the client process died of ${signal}: ${err.slice(-2000)}`);
    assert.equal(code, 0, `the client process exited with ${code}: ${err.slice(-2000)}`);
    const results = JSON.parse(out) as string[];
    const names = Object.keys(cases);
    results.forEach((r, i) => {
      const name = names[Math.floor(i / 3)];
      assert.ok(["RESOURCE_EXHAUSTED", "INTERNAL", "UNAVAILABLE"].includes(r), `${name}: the call got ${r}`);
    });
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
});
