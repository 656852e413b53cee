// Which protocol a plain-text connection speaks, from its first bytes: HTTP/2
// with prior knowledge starts with the client connection preface (RFC 9113
// §3.4), anything else is left to the HTTP/1.1 parser.
import type * as net from "node:net";

/** The protocols a plain-text connection can speak to us. */
export type PlainProtocol = "h2" | "http/1.1";

/** The HTTP/2 client connection preface. */
const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/**
 * `"h2"` once `head` holds the whole preface, `"http/1.1"` as soon as it
 * differs from it, undefined while it is a strict prefix of it (24 bytes at
 * most are ever needed). @internal
 */
export function sniffPlainProtocol(head: Uint8Array): PlainProtocol | undefined {
  const n = Math.min(head.length, preface.length);
  if (preface.compare(head, 0, n, 0, n) !== 0) return "http/1.1";
  return n === preface.length ? "h2" : undefined;
}

/**
 * Reads `socket` until its first bytes tell its protocol, then puts them back
 * (`unshift`), leaves the socket paused and calls `onProtocol` synchronously,
 * from the 'data' event: no byte can be lost before the new owner takes over.
 * Destroys the socket if it ends, fails, or has not told within `deadlineMs`
 * of this call (a deadline, not an idle timeout: trickling the preface byte by
 * byte buys no time). @internal
 */
export function readPlainProtocol(socket: net.Socket, deadlineMs: number, onProtocol: (protocol: PlainProtocol) => void): void {
  let head: Buffer | undefined;
  const drop = () => {
    clearTimeout(deadline);
    socket.destroy();
  };
  const deadline = setTimeout(drop, deadlineMs).unref();
  const onData = (chunk: Buffer) => {
    head = head === undefined ? chunk : Buffer.concat([head, chunk]);
    const protocol = sniffPlainProtocol(head);
    if (protocol === undefined) return;
    clearTimeout(deadline);
    socket.off("data", onData);
    socket.off("end", drop);
    socket.off("error", drop);
    socket.off("close", drop);
    socket.pause();
    socket.unshift(head);
    onProtocol(protocol);
  };
  socket.on("data", onData);
  socket.once("end", drop);
  socket.on("error", drop);
  socket.once("close", drop);
}
