/**
 * Per-message compression for the grpc-js interop server.
 *
 * grpc-js 1.x hides the compressed flag of incoming messages from handlers
 * and never compresses what a server sends, yet the interop server must
 * reject an uncompressed request that says `expect_compressed` and must
 * compress responses on request (`response_compressed`, `compressed`). This
 * test peer therefore wraps two methods of grpc-js's internal server call:
 *
 * - `decompressMessage(frame, encoding)`: grpc-js passes `"identity"` when the
 *   frame's compressed flag is 0; we tag the decompressed buffer with whether
 *   it was compressed, and the deserializer copies the tag onto the message.
 * - `serializeMessage(value)`: a response tagged with {@link compressResponse}
 *   is gzipped and framed with the compressed flag set. The handler must also
 *   send a `grpc-encoding: gzip` response header ({@link GZIP_HEADER}).
 *
 * This reaches into grpc-js internals (`build/src/server-interceptors.js`,
 * checked against 1.14) and is only for this test peer; installing it fails
 * loudly if the internals change.
 */
import { createRequire } from "node:module";
import { gzipSync } from "node:zlib";

const requestCompressedTag = Symbol("requestCompressed");
const compressResponseTag = Symbol("compressResponse");

export const GZIP_HEADER = ["grpc-encoding", "gzip"] as const;

type Tagged = { [requestCompressedTag]?: boolean; [compressResponseTag]?: boolean };

/** Copies the compressed tag from a decompressed buffer onto its message. */
export function markRequestCompressed<T extends object>(message: T, bytes: Buffer): T {
  const compressed = (bytes as Tagged)[requestCompressedTag];
  if (compressed !== undefined) {
    Object.defineProperty(message, requestCompressedTag, { value: compressed, enumerable: false });
  }
  return message;
}

/** Whether a request message arrived with the compressed flag; undefined if unknown. */
export function wasRequestCompressed(message: object): boolean | undefined {
  return (message as Tagged)[requestCompressedTag];
}

/** Marks a response to be sent gzip-compressed. */
export function compressResponse<T extends object>(message: T): T {
  Object.defineProperty(message, compressResponseTag, { value: true, enumerable: false });
  return message;
}

let installed = false;

export function installWireCompression(): void {
  if (installed) return;
  const require = createRequire(import.meta.url);
  const mod = require("@grpc/grpc-js/build/src/server-interceptors.js") as {
    BaseServerInterceptingCall?: { prototype: Record<string, unknown> };
  };
  const proto = mod.BaseServerInterceptingCall?.prototype;
  const origDecompress = proto?.["decompressMessage"];
  const origSerialize = proto?.["serializeMessage"];
  if (!proto || typeof origDecompress !== "function" || typeof origSerialize !== "function") {
    throw new Error("grpc-js internals changed: cannot install the interop compression hooks");
  }
  proto["decompressMessage"] = function (this: unknown, frame: Buffer, encoding: string) {
    const compressed = encoding !== "identity";
    const tag = (buf: Buffer) => {
      (buf as Tagged)[requestCompressedTag] = compressed;
      return buf;
    };
    const out = (origDecompress as (f: Buffer, e: string) => Buffer | Promise<Buffer>).call(this, frame, encoding);
    return out instanceof Promise ? out.then(tag) : tag(out);
  };
  proto["serializeMessage"] = function (this: { handler: { serialize(v: unknown): Buffer } }, value: unknown) {
    if (!(value as Tagged | null)?.[compressResponseTag]) {
      return (origSerialize as (v: unknown) => Buffer).call(this, value);
    }
    const body = gzipSync(this.handler.serialize(value));
    const frame = Buffer.allocUnsafe(body.length + 5);
    frame.writeUInt8(1, 0);
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, 5);
    return frame;
  };
  installed = true;
}
