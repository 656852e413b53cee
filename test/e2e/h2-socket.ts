// A bare TCP client that speaks just enough HTTP/2 by hand for tests of
// connection handling: what it sends is exactly what the test wrote (no
// automatic SETTINGS ACK, no PING ACK), and it records every frame the
// server sends and when the server closes the connection.
import * as net from "node:net";

export const clientPreface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export const frameType = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8 } as const;

export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** One HTTP/2 frame: 9-byte header and payload. */
export function h2Frame(type: number, flags: number, streamId: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const out = Buffer.alloc(9 + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(streamId & 0x7fffffff, 5);
  out.set(payload, 9);
  return out;
}

/** The GOAWAY of a frame: error code, last stream id, debug data. */
export function goawayOf(f: Frame): { code: number; lastStreamId: number; debug: string } {
  return { code: f.payload.readUInt32BE(4), lastStreamId: f.payload.readUInt32BE(0) & 0x7fffffff, debug: f.payload.subarray(8).toString("latin1") };
}

export interface H2Socket {
  readonly socket: net.Socket;
  readonly frames: Frame[];
  /** Resolves when the server closes the connection, with the time since connect in ms. */
  readonly closed: Promise<number>;
  write(bytes: Uint8Array): void;
  /** Resolves with the first frame (received so far or later) that `match` accepts, or rejects after `timeoutMs`. */
  waitFor(match: (f: Frame) => boolean, timeoutMs: number): Promise<Frame>;
  destroy(): void;
}

/** Connects to 127.0.0.1:`port` and sends nothing. */
export async function connectH2Socket(port: number): Promise<H2Socket> {
  const socket = net.connect({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const started = performance.now();
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  let buffered = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 9) {
      const length = buffered.readUIntBE(0, 3);
      if (buffered.length < 9 + length) break;
      frames.push({ type: buffered[3]!, flags: buffered[4]!, streamId: buffered.readUInt32BE(5) & 0x7fffffff, payload: buffered.subarray(9, 9 + length) });
      buffered = buffered.subarray(9 + length);
    }
    for (const w of waiters) w();
  });
  socket.on("error", () => {});
  const closed = new Promise<number>((resolve) => socket.once("close", () => resolve(performance.now() - started)));
  return {
    socket,
    frames,
    closed,
    write: (bytes) => void socket.write(bytes),
    waitFor(match, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const f = frames.find(match);
          if (!f) return false;
          done();
          resolve(f);
          return true;
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no matching frame within ${timeoutMs} ms; got types [${frames.map((f) => f.type)}]`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        if (!check()) waiters.add(check);
      });
    },
    destroy: () => socket.destroy(),
  };
}
