/**
 * The bound: a `node:http2` server that answers every call with canned, valid
 * gRPC responses and decodes nothing. No Node gRPC server can do less work per
 * call, so its throughput is the ceiling for the others.
 *
 * Since it never decodes `response_size`, every answer carries a payload of
 * `rawResponseSize` bytes, fixed at start. It reads request envelopes only
 * where the protocol needs a count of them (one answer per ping in
 * `StreamingCall`, the single answer after the last request otherwise).
 */
import http2 from "node:http2";
import { createEnvelopeSplitter, frame, repeatFrame } from "../lib/envelope.js";
import { PATHS, responseBytes } from "../lib/messages.js";
import type { BenchServer, BenchServerOptions } from "./bench-server.js";
import { listenHttp2 } from "./listen-http2.js";
import { ENDED, ignoreErrors, OPEN, RESPONSE_HEADERS, sendOkTrailers, UNIMPLEMENTED, WITH_TRAILERS } from "./raw-responses.js";


export function startRawServer(options: BenchServerOptions): Promise<BenchServer> {
  const message = frame(responseBytes(options.rawResponseSize));
  // Server streaming writes whole batches of about 64 KiB at a time.
  const batch = repeatFrame(message, Math.max(1, Math.floor(65536 / message.byteLength)));

  const server = http2.createServer();
  server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    stream.on("error", ignoreErrors);
    const path = headers[":path"];
    if (path === PATHS.unaryCall) {
      stream.resume();
      stream.respond(RESPONSE_HEADERS, WITH_TRAILERS);
      stream.on("wantTrailers", sendOkTrailers);
      stream.end(message);
    } else if (path === PATHS.streamingFromServer) {
      stream.resume();
      stream.respond(RESPONSE_HEADERS, OPEN);
      const pump = (): void => {
        while (!stream.destroyed && stream.write(batch));
      };
      stream.on("drain", pump);
      pump();
    } else if (path === PATHS.streamingCall) {
      stream.respond(RESPONSE_HEADERS, WITH_TRAILERS);
      stream.on("wantTrailers", sendOkTrailers);
      const splitter = createEnvelopeSplitter(() => stream.write(message), false);
      stream.on("data", (chunk: Buffer) => splitter.push(chunk));
      stream.on("end", () => stream.end());
    } else if (path === PATHS.streamingFromClient) {
      stream.resume();
      stream.on("end", () => {
        stream.respond(RESPONSE_HEADERS, WITH_TRAILERS);
        stream.on("wantTrailers", sendOkTrailers);
        stream.end(message);
      });
    } else {
      stream.resume();
      stream.respond(UNIMPLEMENTED, ENDED);
    }
  });
  return listenHttp2(server, options);
}
