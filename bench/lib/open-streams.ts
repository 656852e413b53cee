/**
 * Holds many StreamingFromServer calls open against a server, for the memory
 * workload. The client advertises a stream flow-control window of 0, so every
 * server has started its handler and sent response headers but can send no
 * message bytes: each call stays open, as an idle subscription would, with
 * the same work done on every implementation. Calls are spread over several
 * connections to stay below any per-connection stream limit.
 */
import http2 from "node:http2";
import { frame } from "./envelope.js";
import { PATHS, requestBytes } from "./messages.js";

export interface OpenStreams {
  /** Calls whose response headers arrived. */
  readonly open: number;
  close(): void;
}

export async function openStreams(
  url: string,
  streams: number,
  connections: number,
  responseSize: number,
  timeoutMs: number,
): Promise<OpenStreams> {
  const request = frame(requestBytes(responseSize));
  const sessions: http2.ClientHttp2Session[] = [];
  for (let c = 0; c < connections; c++) {
    const session = http2.connect(url, {
      settings: { initialWindowSize: 0 },
      // Before the server's SETTINGS arrive, allow as many streams as we open.
      peerMaxConcurrentStreams: streams,
    });
    session.on("error", () => {});
    sessions.push(session);
  }
  let open = 0;
  let settled = 0;
  let allSettled!: () => void;
  const finished = new Promise<void>((resolve) => (allSettled = resolve));
  const settle = (ok: boolean): void => {
    if (ok) open++;
    if (++settled === streams) allSettled();
  };
  for (let i = 0; i < streams; i++) {
    const stream = sessions[i % connections].request({
      ":method": "POST",
      ":path": PATHS.streamingFromServer,
      "content-type": "application/grpc",
      te: "trailers",
    });
    let done = false;
    const once = (ok: boolean): void => {
      if (!done) settle((done = true) && ok);
    };
    stream.on("error", () => {});
    // Headers without grpc-status: the call is open, not refused.
    stream.once("response", (headers) => once(headers[":status"] === 200 && !("grpc-status" in headers)));
    stream.once("close", () => once(false));
    stream.end(request);
  }
  const timer = setTimeout(allSettled, timeoutMs);
  await finished;
  clearTimeout(timer);
  return {
    open,
    close() {
      for (const session of sessions) session.destroy();
    },
  };
}
