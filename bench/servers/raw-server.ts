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

const RESPONSE_HEADERS = { ":status": 200, "content-type": "application/grpc" };
const OK_TRAILERS = { "grpc-status": "0" };
// No \`date\` header (Node adds one unless told not to): gRPC servers send none, tsgrpc included.
const WITH_TRAILERS = { waitForTrailers: true, sendDate: false };
const ENDED = { endStream: true, sendDate: false };
const OPEN = { endStream: false, sendDate: false };
const UNIMPLEMENTED = { ":status": 200, "content-type": "application/grpc", "grpc-status": "12" };

export function startRawServer(options: BenchServerOptions): Promise<BenchServer> {
  const message = frame(responseBytes(options.rawResponseSize));
  // Server streaming writes whole batches of about 64 KiB at a time.
  const batch = repeatFrame(message, Math.max(1, Math.floor(65536 / message.byteLength)));

  const server = http2.createServer();
  server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    stream.on("error", () => {});
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
      stream.once("wantTrailers", () => stream.sendTrailers(OK_TRAILERS));
      const splitter = createEnvelopeSplitter(() => stream.write(message), false);
      stream.on("data", (chunk: Buffer) => splitter.push(chunk));
      stream.on("end", () => stream.end());
    } else if (path === PATHS.streamingFromClient) {
      stream.resume();
      stream.on("end", () => {
        stream.respond(RESPONSE_HEADERS, WITH_TRAILERS);
        stream.once("wantTrailers", () => stream.sendTrailers(OK_TRAILERS));
        stream.end(message);
      });
    } else {
      stream.resume();
      stream.respond(UNIMPLEMENTED, ENDED);
    }
  });
  return listenHttp2(server, options);
}

/** Shared by every unary stream (Node calls it with the stream as `this`): no closure per call. */
function sendOkTrailers(this: http2.ServerHttp2Stream): void {
  this.sendTrailers(OK_TRAILERS);
}
