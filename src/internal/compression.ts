import { constants as bufferConstants } from "node:buffer";
import * as zlib from "node:zlib";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";

import type { CompressionName } from "./compression-name.js";

export { checkCompressionName, supportedEncodings, type CompressionName } from "./compression-name.js";

/** A message compression algorithm, named as in `grpc-encoding`. */
export interface Compression {
  readonly name: CompressionName;
  compress(data: Uint8Array): Promise<Uint8Array>;
  /** Fails with RESOURCE_EXHAUSTED when the output would exceed `maxBytes`, INTERNAL when the input is corrupt. */
  decompress(data: Uint8Array, maxBytes: number): Promise<Uint8Array>;
}

type ZlibFn = (buf: zlib.InputType, options: zlib.ZlibOptions, cb: zlib.CompressCallback) => void;

function zlibCompression(name: CompressionName, deflate: ZlibFn, inflate: ZlibFn): Compression {
  return {
    name,
    compress(data) {
      return new Promise((resolve, reject) => {
        deflate(data, {}, (err, out) => (err ? reject(err) : resolve(out)));
      });
    },
    decompress(data, maxBytes) {
      return new Promise((resolve, reject) => {
        // maxOutputLength stops inflating as soon as the limit is passed, so a
        // small compressed bomb never allocates its full expanded size.
        const maxOutputLength = Math.min(maxBytes + 1, bufferConstants.MAX_LENGTH);
        inflate(data, { maxOutputLength }, (err, out) => {
          if (err) {
            if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
              reject(new RpcError(Code.RESOURCE_EXHAUSTED, `decompressed message is larger than the limit of ${maxBytes} bytes`));
            } else {
              reject(new RpcError(Code.INTERNAL, `could not decompress a ${name} message: ${err.message}`));
            }
          } else if (out.byteLength > maxBytes) {
            reject(new RpcError(Code.RESOURCE_EXHAUSTED, `decompressed message of ${out.byteLength} bytes is larger than the limit of ${maxBytes} bytes`));
          } else {
            resolve(out);
          }
        });
      });
    },
  };
}

const gzip = zlibCompression("gzip", zlib.gzip, zlib.gunzip);
const deflate = zlibCompression("deflate", zlib.deflate, zlib.inflate);

/** The built-in compression for `name`, or undefined for identity or an unknown name. */
export function findCompression(name: string): Compression | undefined {
  if (name === "gzip") return gzip;
  if (name === "deflate") return deflate;
  return undefined;
}
