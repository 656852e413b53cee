import { Code } from "../../status/code.js";
import { RpcError } from "../../status/rpc-error.js";

const segmentPattern = /^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes a base64 body that arrives in chunks split anywhere, as
 * `application/grpc-web-text` sends it (gRPC's `doc/PROTOCOL-WEB.md`): the
 * body may also be several base64 texts one after the other, each padded
 * (a client that encodes every message on its own). Anything that is not
 * base64 fails with INTERNAL.
 */
export class Base64StreamDecoder {
  /** Characters of an incomplete quad, carried to the next chunk. */
  #rest = "";

  /** Decodes what `chunk` completes; keeps an incomplete quad for later. */
  push(chunk: Uint8Array): Buffer {
    const text = this.#rest + Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("latin1");
    const whole = text.length - (text.length % 4);
    this.#rest = text.slice(whole);
    if (whole === 0) return Buffer.alloc(0);
    const parts: Buffer[] = [];
    let i = 0;
    while (i < whole) {
      const eq = text.indexOf("=", i);
      // A padded quad ends one base64 text; the next one starts after it.
      const end = eq < 0 || eq >= whole ? whole : eq - (eq % 4) + 4;
      const segment = text.slice(i, end);
      if (!segmentPattern.test(segment)) throw new RpcError(Code.INTERNAL, "protocol error: the grpc-web-text body is not base64");
      parts.push(Buffer.from(segment, "base64"));
      i = end;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** Whether characters of an unfinished quad are left: a body ending now is truncated. */
  get partial(): boolean {
    return this.#rest.length > 0;
  }
}
