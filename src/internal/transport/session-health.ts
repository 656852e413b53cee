import type { Http2Session } from "node:http2";

/** How long a PING may go unanswered before its session counts as dead. */
export const probeTimeoutMs = 2000;

/**
 * Whether `session` still works: a PING answered within `timeoutMs`.
 *
 * Node does not always say when a session has died. When a peer sends a
 * frame nghttp2 treats as a connection error (invalid HPACK, DATA on stream
 * 0…), nghttp2 sends GOAWAY and stops processing the connection, but Node
 * emits nothing and keeps the socket open: streams in flight never end, and
 * new ones are refused (REFUSED_STREAM) without reaching the wire. A PING is
 * the one question such a session cannot answer.
 */
export function probeSession(session: Http2Session, timeoutMs = probeTimeoutMs): Promise<boolean> {
  if (session.destroyed || session.closed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    timer.unref();
    try {
      const sent = session.ping((err) => {
        clearTimeout(timer);
        resolve(!err);
      });
      if (!sent) {
        // Too many PINGs unanswered already: that is an answer too.
        clearTimeout(timer);
        resolve(false);
      }
    } catch {
      clearTimeout(timer);
      resolve(false);
    }
  });
}
