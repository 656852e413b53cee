// A raw HTTP/2 client for tests that send what no well-behaved gRPC client would.
import * as http2 from "node:http2";
import { gzipSync } from "node:zlib";

export interface RawResponse {
  status: number;
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: Buffer;
  rstCode: number;
}

/** The gRPC status of a raw response: from trailers, or from a trailers-only header block. */
export function grpcStatusOf(r: RawResponse): string | undefined {
  return (r.trailers["grpc-status"] ?? r.headers["grpc-status"]) as string | undefined;
}

export function frame(payload: Uint8Array, flags = 0): Buffer {
  const out = Buffer.alloc(5 + payload.length);
  out[0] = flags;
  out.writeUInt32BE(payload.length, 1);
  out.set(payload, 5);
  return out;
}

export function gzipFrame(payload: Uint8Array): Buffer {
  return frame(gzipSync(payload), 1);
}

/** Sends one request with `headers` and `body` chunks, and collects the whole response. */
export function rawRequest(
  port: number,
  headers: http2.OutgoingHttpHeaders,
  body: Buffer[] = [],
  timeoutMs = 5000,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const stream = session.request(headers);
    const chunks: Buffer[] = [];
    const res: RawResponse = { status: 0, headers: {}, trailers: {}, body: Buffer.alloc(0), rstCode: 0 };
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error("raw request timed out"));
    }, timeoutMs);
    stream.on("response", (h) => {
      res.status = Number(h[":status"]);
      res.headers = h;
    });
    stream.on("trailers", (t) => (res.trailers = t));
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("error", () => {});
    stream.on("close", () => {
      clearTimeout(timer);
      res.body = Buffer.concat(chunks);
      res.rstCode = stream.rstCode ?? 0;
      session.close();
      resolve(res);
    });
    for (const b of body) stream.write(b);
    stream.end();
  });
}

export function grpcHeaders(path: string, extra: http2.OutgoingHttpHeaders = {}): http2.OutgoingHttpHeaders {
  return { ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...extra };
}
