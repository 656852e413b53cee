// Ending an HTTP/2 server session: gracefully (two GOAWAYs, the second
// telling the client which streams the server took) or at once (GOAWAY with
// an error code, then the TCP connection closed, as RFC 9113 §5.4.1 asks).
//
// Node's HTTP/2 (nghttp2 without its "shutdown notice") takes no new stream
// once any GOAWAY has gone out, whatever its last-stream-id, and reads
// nothing more from a session with no stream open. A stream that raced the
// first GOAWAY is never processed; the second GOAWAY's last-stream-id is
// below it, which tells the client it may send it again.
import * as http2 from "node:http2";

/** The largest stream id: a GOAWAY carrying it says "open no more streams" and refuses none (RFC 9113 §6.8). */
export const maxStreamId = 2 ** 31 - 1;

/** How a graceful close waits between its two GOAWAYs. */
export interface GracefulCloseOptions {
  /** Longest wait for the PING's answer, in ms. */
  readonly ackTimeoutMs: number;
  /** Whether the session has no stream open now. */
  readonly idle: () => boolean;
  /**
   * How long after the first GOAWAY a session with no stream open moves on
   * without the PING's answer, in ms: Node reads nothing more from such a
   * session, so the answer is never seen.
   */
  readonly idleWaitMs: number;
  /** Called after the second GOAWAY (not if the session closed first). */
  readonly onFinalGoaway?: () => void;
}

/**
 * Starts a graceful close of `session`, in the steps grpc-go takes: a first
 * GOAWAY NO_ERROR with last-stream-id 2^31-1 and `debugData` tells the client
 * to open no more streams, plus a PING; once the PING is answered (so every
 * stream the client sent before it saw the GOAWAY has arrived), or the
 * session has no stream open (see `idleWaitMs`), or after `ackTimeoutMs`,
 * `session.close()` sends the real GOAWAY with the last stream processed, and
 * the session closes once its streams have ended. (grpc-go still serves the
 * streams that arrive between the two; Node cannot, see above.) Does nothing
 * to a session that is closing already.
 */
export function closeGracefully(session: http2.ServerHttp2Session, debugData: string, options: GracefulCloseOptions): void {
  if (session.closed || session.destroyed) return;
  let done = false;
  const second = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    clearTimeout(idleCheck);
    if (session.closed || session.destroyed) return;
    try {
      session.close();
    } catch {
      session.destroy();
      return;
    }
    options.onFinalGoaway?.();
  };
  const timer = setTimeout(second, options.ackTimeoutMs);
  const idleCheck = setTimeout(() => {
    if (options.idle()) second();
  }, Math.min(options.idleWaitMs, options.ackTimeoutMs));
  try {
    session.goaway(http2.constants.NGHTTP2_NO_ERROR, maxStreamId, Buffer.from(debugData, "ascii"));
    if (!session.ping(second)) second();
  } catch {
    second();
  }
}

/**
 * Sends GOAWAY with `code` and `debugData`, then destroys the session (and its
 * socket) once the frame is written: for a client that broke the rules.
 */
export function closeWithError(session: http2.Http2Session, code: number, debugData: string): void {
  if (session.destroyed) return;
  try {
    session.goaway(code, 0, Buffer.from(debugData, "ascii"));
  } catch {
    // Closed meanwhile: destroy what is left.
  }
  // The GOAWAY is queued; Node writes it before it handles the next event.
  setImmediate(() => session.destroy());
}
