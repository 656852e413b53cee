import { Duplex } from "node:stream";

/**
 * Two connected in-memory duplex streams, like the two ends of a socket:
 * what one writes, the other reads, with half-close (`end()` ends the
 * other's readable side) and reset (destroying one end closes the other).
 * Like a socket's kernel buffers, a write completes at once, whether or not
 * the other side reads: two HTTP/2 sessions that each wait for the other to
 * read before they read themselves would otherwise deadlock. HTTP/2's flow
 * control bounds what can pile up. Node 22 has `stream.duplexPair`; tsgrpc
 * still runs on Node 20.
 */
export function createDuplexPair(): [Duplex, Duplex] {
  const a = new PairEnd();
  const b = new PairEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

class PairEnd extends Duplex {
  peer!: PairEnd;
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.peer.destroyed) {
      callback(new Error("the other end of the connection is closed"));
      return;
    }
    this.peer.push(chunk);
    callback();
  }

  override _read(): void {
    // Data arrives by the peer's push; nothing to fetch.
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.peer.destroyed) this.peer.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    // Like a socket's other end after a reset: it closes too, a moment later.
    if (!peer.destroyed) process.nextTick(() => peer.destroy());
    callback(error);
  }
}
