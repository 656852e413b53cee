import type { Http2Stream } from "node:http2";
import { addAbortSignal } from "node:stream";

/**
 * Resets `stream` with RST_STREAM(CANCEL), and nothing else. Node's
 * `stream.close(NGHTTP2_CANCEL)` first half-closes an open stream, so the
 * peer sees END_STREAM (a request stream that looks complete) before the
 * reset; destroying the stream through an aborted signal sends the reset
 * alone. Only on the cancel path: it costs an AbortController.
 */
export function resetStream(stream: Http2Stream): void {
  const ac = new AbortController();
  addAbortSignal(ac.signal, stream);
  ac.abort();
}
