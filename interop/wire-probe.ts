/**
 * A minimal raw HTTP/2 gRPC client that reports what actually went over the
 * wire: the response headers, and each response message's compressed flag
 * and length. Interop clients built on gRPC libraries cannot see the
 * compressed flag, which server_compressed_unary/streaming require; this
 * probe checks it.
 */
import * as http2 from "node:http2";
import { createTestCerts, TEST_SERVER_NAME } from "./certs.js";

export interface WireResponse {
  headers: http2.IncomingHttpHeaders;
  /** One entry per response message, in order. */
  messages: { compressed: boolean; length: number }[];
  /** grpc-status from the trailers (or a trailers-only response). */
  status: string | undefined;
}

/** Sends one uncompressed request message to `path` and reads the whole response. */
export function probeCall(opts: { port: number; useTls?: boolean; path: string; request: Uint8Array; timeoutMs?: number }): Promise<WireResponse> {
  const session = opts.useTls
    ? http2.connect(`https://127.0.0.1:${opts.port}`, { ca: createTestCerts().ca, servername: TEST_SERVER_NAME })
    : http2.connect(`http://127.0.0.1:${opts.port}`);
  return new Promise<WireResponse>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no complete response within ${opts.timeoutMs ?? 10_000} ms`)), opts.timeoutMs ?? 10_000);
    session.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    const stream = session.request({
      ":method": "POST",
      ":path": opts.path,
      "content-type": "application/grpc",
      te: "trailers",
      "grpc-accept-encoding": "identity,gzip,deflate",
    });
    let headers: http2.IncomingHttpHeaders = {};
    let status: string | undefined;
    const chunks: Buffer[] = [];
    stream.on("response", (h) => {
      headers = h;
      status = h["grpc-status"] as string | undefined;
    });
    stream.on("trailers", (t) => (status = t["grpc-status"] as string | undefined));
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    stream.on("close", () => {
      clearTimeout(timer);
      const data = Buffer.concat(chunks);
      const messages: WireResponse["messages"] = [];
      for (let at = 0; at + 5 <= data.length; ) {
        const length = data.readUInt32BE(at + 1);
        messages.push({ compressed: data[at] === 1, length });
        at += 5 + length;
      }
      resolve({ headers, messages, status });
    });
    const frame = Buffer.alloc(5 + opts.request.length);
    frame.writeUInt32BE(opts.request.length, 1);
    frame.set(opts.request, 5);
    stream.end(frame);
  }).finally(() => session.close());
}
