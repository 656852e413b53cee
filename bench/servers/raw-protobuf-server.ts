/**
 * The second bound: the raw server plus protobuf-es, nothing else. Each
 * unary call's request is parsed with `fromBinary`, the answer built with
 * `create` and serialized with `toBinary`, as every gRPC server here must;
 * headers and trailers are constants, as in the raw bound. Its distance to the
 * raw bound is what the serializer alone costs on this machine: a gRPC stack
 * on protobuf-es can approach this row, not the raw one.
 *
 * Written for speed: listeners shared by all streams (no closure per call),
 * the request read in place when it arrives in one chunk, the answer framed
 * with one copy (none when large). Server workload only (unary calls); other methods answer
 * UNIMPLEMENTED.
 */
import http2 from "node:http2";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { envelopePrefix, frame } from "../lib/envelope.js";
import { PATHS, SimpleRequestSchema, SimpleResponseSchema, responseFor } from "../lib/messages.js";
import type { BenchServer, BenchServerOptions } from "./bench-server.js";
import { listenHttp2 } from "./listen-http2.js";
import { ENDED, ignoreErrors, INTERNAL, RESPONSE_HEADERS, sendOkTrailers, UNIMPLEMENTED, WITH_TRAILERS } from "./raw-responses.js";

const kBody = Symbol("request bytes");
type UnaryStream = http2.ServerHttp2Stream & { [kBody]?: Buffer };

export function startRawProtobufServer(options: BenchServerOptions): Promise<BenchServer> {
  const server = http2.createServer();
  server.on("stream", (stream: UnaryStream, headers: http2.IncomingHttpHeaders) => {
    stream.on("error", ignoreErrors);
    if (headers[":path"] !== PATHS.unaryCall) {
      stream.resume();
      stream.respond(UNIMPLEMENTED, ENDED);
      return;
    }
    stream.on("data", onData);
    stream.on("end", onEnd);
    stream.on("wantTrailers", sendOkTrailers);
  });
  return listenHttp2(server, options);
}

function onData(this: UnaryStream, chunk: Buffer): void {
  const held = this[kBody];
  this[kBody] = held ? Buffer.concat([held, chunk]) : chunk;
}

function onEnd(this: UnaryStream): void {
  const body = this[kBody];
  // Exactly one uncompressed message, or the call fails.
  if (!body || body.byteLength < 5 || body[0] !== 0 || body.readUInt32BE(1) !== body.byteLength - 5) {
    this.respond(INTERNAL, ENDED);
    return;
  }
  const size = fromBinary(SimpleRequestSchema, body.subarray(5)).responseSize;
  this.respond(RESPONSE_HEADERS, WITH_TRAILERS);
  const answer = toBinary(SimpleResponseSchema, responseFor(size));
  if (answer.byteLength < largeBytes) {
    this.end(frame(answer));
    return;
  }
  // A large answer goes out beside its prefix: one copy of it fewer.
  this.cork();
  this.write(envelopePrefix(answer.byteLength));
  this.end(answer);
  this.uncork();
}

/** From this size on an answer is not copied behind its prefix. */
const largeBytes = 16 * 1024;
