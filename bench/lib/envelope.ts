/**
 * gRPC length-prefixed message framing, as the bench needs it: building
 * pre-framed bodies for h2load and the raw bound, and finding message
 * boundaries in a byte stream without decoding the messages.
 */

/** Prefix `message` with the 5-byte gRPC envelope (flag 0 = uncompressed). */
export function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.byteLength);
  writePrefix(out, message.byteLength);
  out.set(message, 5);
  return out;
}

/** The 5-byte envelope of an uncompressed message of `length` bytes alone, to write before the message. */
export function envelopePrefix(length: number): Buffer {
  const out = Buffer.allocUnsafe(5);
  writePrefix(out, length);
  return out;
}

function writePrefix(out: Buffer, length: number): void {
  out[0] = 0;
  out.writeUInt32BE(length, 1);
}

/** Concatenate `count` copies of an already framed message. */
export function repeatFrame(framed: Uint8Array, count: number): Buffer {
  const out = Buffer.allocUnsafe(framed.byteLength * count);
  for (let i = 0; i < count; i++) out.set(framed, i * framed.byteLength);
  return out;
}

/**
 * Incremental envelope splitter. `push()` takes DATA chunks in arrival order
 * and calls `onMessage` once per complete message; chunk boundaries say
 * nothing about message boundaries, so partial headers and bodies carry over.
 * With `keepBodies: false` only lengths are tracked (no copies): enough for
 * the bounds, which must count messages but never look inside them.
 */
export interface EnvelopeSplitter {
  push(chunk: Uint8Array): void;
  /** Bytes of an unfinished message still held: non-zero at end means truncation. */
  readonly pendingBytes: number;
}

export function createEnvelopeSplitter(
  onMessage: (body: Uint8Array | undefined, length: number, compressed: boolean) => void,
  keepBodies: boolean,
): EnvelopeSplitter {
  const header = Buffer.alloc(5);
  let headerFill = 0;
  let bodyLeft = -1; // -1: reading a header
  let length = 0;
  let compressed = false;
  let parts: Uint8Array[] = [];
  let pending = 0;

  function finish(): void {
    let body: Uint8Array | undefined;
    if (keepBodies) body = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    parts = [];
    bodyLeft = -1;
    pending = 0;
    onMessage(body, length, compressed);
  }

  return {
    get pendingBytes() {
      return pending;
    },
    push(chunk) {
      let at = 0;
      while (at < chunk.byteLength) {
        if (bodyLeft < 0) {
          const take = Math.min(5 - headerFill, chunk.byteLength - at);
          header.set(chunk.subarray(at, at + take), headerFill);
          headerFill += take;
          at += take;
          pending += take;
          if (headerFill < 5) break;
          headerFill = 0;
          compressed = header[0] === 1;
          bodyLeft = length = header.readUInt32BE(1);
          if (bodyLeft === 0) finish();
          continue;
        }
        const take = Math.min(bodyLeft, chunk.byteLength - at);
        if (keepBodies) parts.push(chunk.subarray(at, at + take));
        at += take;
        bodyLeft -= take;
        pending += take;
        if (bodyLeft === 0) finish();
      }
    },
  };
}
