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
 * nothing about message boundaries, so partial prefixes and bodies carry over.
 * With `keepBodies: false` only lengths are tracked (no copies): enough for
 * the raw bound, which must count messages but never look inside them. With
 * `keepBodies: true` a body that lies in one chunk is a view of it, not a copy.
 *
 * The bounds read with it, so it must cost no more than a lean client's
 * reader: prefixes are read in place, nothing is allocated per message.
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
  /** A prefix split across chunks, gathered here. */
  const prefix = new Uint8Array(5);
  let prefixFill = 0;
  /** Body bytes still to come of the current message; -1 while reading a prefix. */
  let bodyLeft = -1;
  let length = 0;
  let compressed = false;
  /** Pieces of a body split across chunks (keepBodies only). */
  let parts: Uint8Array[] = [];

  function finish(body: Uint8Array | undefined): void {
    bodyLeft = -1;
    onMessage(body, length, compressed);
  }

  function joinedParts(): Uint8Array {
    const body = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    parts = [];
    return body;
  }

  return {
    get pendingBytes() {
      return bodyLeft < 0 ? prefixFill : 5 + length - bodyLeft;
    },
    push(chunk) {
      const end = chunk.byteLength;
      let at = 0;
      while (at < end) {
        if (bodyLeft < 0) {
          if (prefixFill === 0 && end - at >= 5) {
            compressed = chunk[at] === 1;
            length = readLength(chunk, at + 1);
            at += 5;
          } else {
            while (prefixFill < 5 && at < end) prefix[prefixFill++] = chunk[at++]!;
            if (prefixFill < 5) return;
            prefixFill = 0;
            compressed = prefix[0] === 1;
            length = readLength(prefix, 1);
          }
          bodyLeft = length;
          if (length === 0) {
            finish(keepBodies ? new Uint8Array(0) : undefined);
            continue;
          }
        }
        const take = Math.min(bodyLeft, end - at);
        if (keepBodies && (take < bodyLeft || parts.length > 0)) parts.push(chunk.subarray(at, at + take));
        const whole = keepBodies && parts.length === 0 ? new Uint8Array(chunk.buffer, chunk.byteOffset + at, take) : undefined;
        at += take;
        bodyLeft -= take;
        if (bodyLeft === 0) finish(whole ?? (keepBodies ? joinedParts() : undefined));
      }
    },
  };
}

function readLength(b: Uint8Array, at: number): number {
  return b[at]! * 0x1000000 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
}
