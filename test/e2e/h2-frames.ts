// Hand-built HTTP/2 (RFC 9113) on a plain socket, for tests that need what
// node:http2 will not send: malformed HPACK, oversized header lists, frames
// out of order, a peer that stops answering but keeps the socket open.
//
// Header blocks are encoded with HPACK literals without indexing and without
// Huffman coding (RFC 7541 §6.2.2): any peer decodes them, and the encoder
// keeps no state, so a test can splice raw bytes in wherever it likes.
import * as net from "node:net";
import { once } from "node:events";

export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

export const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;

export const ErrorCode = { NO_ERROR: 0x0, PROTOCOL_ERROR: 0x1, INTERNAL_ERROR: 0x2, CANCEL: 0x8, COMPRESSION_ERROR: 0x9, ENHANCE_YOUR_CALM: 0xb } as const;

export const clientPreface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** One frame: the 9-byte header (length, type, flags, stream id) and the payload. */
export function encodeFrame(type: number, flags: number, streamId: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(9 + payload.byteLength);
  out.writeUIntBE(payload.byteLength, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(streamId & 0x7fffffff, 5);
  out.set(payload, 9);
  return out;
}

/** A SETTINGS frame with `settings` as (identifier, value) pairs; `ack` for the empty acknowledgement. */
export function settingsFrame(settings: [number, number][] = [], ack = false): Buffer {
  const payload = Buffer.alloc(6 * settings.length);
  settings.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, 6 * i);
    payload.writeUInt32BE(value, 6 * i + 2);
  });
  return encodeFrame(FrameType.SETTINGS, ack ? Flag.ACK : 0, 0, payload);
}

export function goawayFrame(lastStreamId: number, errorCode: number): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(lastStreamId, 0);
  payload.writeUInt32BE(errorCode, 4);
  return encodeFrame(FrameType.GOAWAY, 0, 0, payload);
}

export function rstStreamFrame(streamId: number, errorCode: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(errorCode, 0);
  return encodeFrame(FrameType.RST_STREAM, 0, streamId, payload);
}

export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(increment, 0);
  return encodeFrame(FrameType.WINDOW_UPDATE, 0, streamId, payload);
}

/** An HPACK integer with an N-bit prefix (RFC 7541 §5.1); `high` holds the bits above the prefix. */
function hpackInteger(value: number, prefixBits: number, high: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [high | value];
  const out = [high | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) | 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

function hpackString(text: string): Buffer {
  const bytes = Buffer.from(text, "latin1");
  return Buffer.concat([Buffer.from(hpackInteger(bytes.byteLength, 7, 0)), bytes]);
}

/** A header block of literal fields without indexing, new names, no Huffman (RFC 7541 §6.2.2). */
export function encodeHeaderBlock(headers: readonly (readonly [string, string])[] | Record<string, string>): Buffer {
  const list = Array.isArray(headers) ? headers : Object.entries(headers);
  const parts: Buffer[] = [];
  for (const [name, value] of list) parts.push(Buffer.of(0x00), hpackString(name), hpackString(value));
  return Buffer.concat(parts);
}

/** A HEADERS frame carrying `block` whole (END_HEADERS), ending the stream if `endStream`. */
export function headersFrame(streamId: number, block: Uint8Array, endStream = false): Buffer {
  return encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0), streamId, block);
}

export function dataFrame(streamId: number, data: Uint8Array, endStream = false): Buffer {
  return encodeFrame(FrameType.DATA, endStream ? Flag.END_STREAM : 0, streamId, data);
}

/** Splits a byte stream into frames, whatever the chunking. */
export class FrameReader {
  #buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.#buffer = this.#buffer.byteLength === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const out: Frame[] = [];
    while (this.#buffer.byteLength >= 9) {
      const length = this.#buffer.readUIntBE(0, 3);
      if (this.#buffer.byteLength < 9 + length) break;
      out.push({
        type: this.#buffer[3]!,
        flags: this.#buffer[4]!,
        streamId: this.#buffer.readUInt32BE(5) & 0x7fffffff,
        payload: this.#buffer.subarray(9, 9 + length),
      });
      this.#buffer = this.#buffer.subarray(9 + length);
    }
    return out;
  }
}

/** One end of a raw HTTP/2 connection: SETTINGS and PING are acknowledged for you, everything else is yours. */
export interface RawConnection {
  readonly socket: net.Socket;
  /** Every frame received so far, in order (the client preface excluded). */
  readonly received: Frame[];
  /** Runs for each frame received from now on (after the automatic acknowledgements). */
  onFrame(fn: (frame: Frame) => void): void;
  send(...frames: Buffer[]): void;
  /** Resolves with the first frame received (already or later) that `match` accepts; rejects after `timeoutMs`. */
  waitFor(match: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
}

function rawConnection(socket: net.Socket, expectPreface: boolean): RawConnection {
  const reader = new FrameReader();
  const received: Frame[] = [];
  const listeners: ((f: Frame) => void)[] = [];
  let preface = expectPreface ? Buffer.alloc(0) : undefined;
  socket.on("error", () => undefined);
  socket.on("data", (chunk: Buffer) => {
    if (preface) {
      preface = Buffer.concat([preface, chunk]);
      if (preface.byteLength < clientPreface.byteLength) return;
      chunk = preface.subarray(clientPreface.byteLength);
      preface = undefined;
    }
    for (const f of reader.push(chunk)) {
      received.push(f);
      if (!socket.destroyed) {
        if (f.type === FrameType.SETTINGS && !(f.flags & Flag.ACK)) socket.write(settingsFrame([], true));
        if (f.type === FrameType.PING && !(f.flags & Flag.ACK)) socket.write(encodeFrame(FrameType.PING, Flag.ACK, 0, f.payload));
      }
      for (const fn of [...listeners]) fn(f);
    }
  });
  return {
    socket,
    received,
    onFrame: (fn) => void listeners.push(fn),
    send: (...frames) => {
      if (!socket.destroyed) socket.write(Buffer.concat(frames));
    },
    waitFor(match, timeoutMs = 5000) {
      const found = received.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no matching frame arrived")), timeoutMs);
        listeners.push((f) => {
          if (match(f)) {
            clearTimeout(timer);
            resolve(f);
          }
        });
      });
    },
  };
}

/** A server on 127.0.0.1 that speaks raw frames: it sends an empty SETTINGS, then hands each connection to `onConnection`. */
export async function startRawServer(onConnection: (conn: RawConnection) => void): Promise<{ port: number; connections: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    const conn = rawConnection(socket, true);
    conn.send(settingsFrame());
    onConnection(conn);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    get connections() {
      return connections;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A raw client connection to 127.0.0.1:`port`: preface and empty SETTINGS sent. */
export async function connectRaw(port: number): Promise<RawConnection> {
  const socket = net.connect(port, "127.0.0.1");
  await once(socket, "connect");
  const conn = rawConnection(socket, false);
  conn.send(clientPreface, settingsFrame());
  return conn;
}

/** A complete gRPC response on `streamId`: headers, one message (already framed), OK trailers. */
export function grpcResponseFrames(streamId: number, message: Uint8Array): Buffer[] {
  return [
    headersFrame(streamId, encodeHeaderBlock({ ":status": "200", "content-type": "application/grpc" })),
    dataFrame(streamId, message),
    headersFrame(streamId, encodeHeaderBlock({ "grpc-status": "0" }), true),
  ];
}
