// A TCP relay on loopback that forwards every byte unchanged between a client
// and a server and decodes the HTTP/2 frame headers it sees (cleartext only),
// so a test can tell what two peers it does not control said to each other:
// which PINGs went when, and which GOAWAY ended which connection.
import * as net from "node:net";
import { once } from "node:events";

const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export const frameType = { data: 0x0, headers: 0x1, rstStream: 0x3, settings: 0x4, ping: 0x6, goaway: 0x7 } as const;

export interface TappedFrame {
  /** Which connection (1, 2, … in the order they were accepted). */
  readonly connection: number;
  /** Who sent it. */
  readonly from: "client" | "server";
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  /** When the relay saw it (Date.now()). */
  readonly at: number;
  /** GOAWAY only: the last stream id, the error code and the debug data. */
  readonly lastStreamId?: number;
  readonly errorCode?: number;
  readonly debug?: string;
}

export interface FrameTap {
  /** The port clients connect to. */
  readonly port: number;
  readonly frames: TappedFrame[];
  /** Connections accepted so far. */
  connections(): number;
  /** PINGs (not their acks) that `from` sent on `connection`. */
  pings(from: "client" | "server", connection?: number): TappedFrame[];
  goaways(from: "client" | "server"): TappedFrame[];
  /** Every frame so far, one a line (ms since the first, connection, sender, type, flags, stream, GOAWAY fields): for failure messages. */
  trace(): string;
  close(): Promise<void>;
}

/** Starts a relay to 127.0.0.1:`targetPort` on a free loopback port. */
export async function startFrameTap(targetPort: number): Promise<FrameTap> {
  const frames: TappedFrame[] = [];
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((down) => {
    const connection = ++accepted;
    const up = net.connect(targetPort, "127.0.0.1");
    for (const s of [down, up]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    }
    const fromClient = frameReader(connection, "client", preface.length, frames);
    const fromServer = frameReader(connection, "server", 0, frames);
    down.on("data", (d: Buffer) => {
      fromClient(d);
      up.write(d);
    });
    up.on("data", (d: Buffer) => {
      fromServer(d);
      down.write(d);
    });
    down.on("end", () => up.end());
    up.on("end", () => down.end());
    down.on("error", () => up.destroy());
    up.on("error", () => down.destroy());
    down.on("close", () => up.destroy());
    up.on("close", () => down.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    frames,
    connections: () => accepted,
    pings: (from, connection) =>
      frames.filter((f) => f.from === from && f.type === frameType.ping && (f.flags & 0x1) === 0 && (connection === undefined || f.connection === connection)),
    goaways: (from) => frames.filter((f) => f.from === from && f.type === frameType.goaway),
    trace() {
      const t0 = frames[0]?.at ?? 0;
      return frames
        .map((f) => {
          const goaway = f.lastStreamId === undefined ? "" : ` last=${f.lastStreamId} code=${f.errorCode} ${JSON.stringify(f.debug)}`;
          return `${f.at - t0} ms #${f.connection} ${f.from} type=${f.type} flags=${f.flags} stream=${f.streamId}${goaway}`;
        })
        .join("\n");
    },
    async close() {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, "close");
    },
  };
}

/** Decodes the frames of one direction of one connection as its bytes arrive, skipping `skip` bytes first (the client's preface). */
function frameReader(connection: number, from: "client" | "server", skip: number, out: TappedFrame[]): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  let toSkip = skip;
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    if (toSkip > 0) {
      const n = Math.min(toSkip, pending.length);
      pending = pending.subarray(n);
      toSkip -= n;
    }
    while (pending.length >= 9) {
      const length = pending.readUIntBE(0, 3);
      if (pending.length < 9 + length) break;
      const type = pending[3]!;
      const flags = pending[4]!;
      const streamId = pending.readUInt32BE(5) & 0x7fff_ffff;
      const payload = pending.subarray(9, 9 + length);
      const frame: TappedFrame =
        type === frameType.goaway && length >= 8
          ? {
              connection,
              from,
              type,
              flags,
              streamId,
              at: Date.now(),
              lastStreamId: payload.readUInt32BE(0) & 0x7fff_ffff,
              errorCode: payload.readUInt32BE(4),
              debug: payload.subarray(8).toString("latin1"),
            }
          : { connection, from, type, flags, streamId, at: Date.now() };
      out.push(frame);
      pending = pending.subarray(9 + length);
    }
  };
}
