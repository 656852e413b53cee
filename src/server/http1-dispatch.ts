import type { IncomingMessage, ServerResponse } from "node:http";
import { grpcSubtype } from "../internal/grpc-content-type.js";
import { http1Exchange } from "../transcoding/rest-exchange.js";
import type { DispatchSettings } from "./http2-dispatch.js";
import { dispatchRest } from "./rest-dispatch.js";

/**
 * The one place where a server decides what an HTTP/1.1 request is. The
 * listener accepts HTTP/1.1 on every address so that protocols made for it
 * (gRPC-Web, Connect, REST/JSON) can arrive there; gRPC itself needs HTTP/2
 * (trailers, full duplex), so a gRPC request over HTTP/1.1 gets a clear
 * refusal, and so does anything else until those protocols are added.
 */
export function dispatchHttp1Request(req: IncomingMessage, res: ServerResponse, d?: DispatchSettings): void {
  const contentType = req.headers["content-type"];
  const grpc = typeof contentType === "string" && grpcSubtype(contentType) !== undefined;
  // REST calls read their body: their connection can stay open for the next request.
  if (!grpc && d?.rest && dispatchRest(http1Exchange(req, res), d.rest, d.router, d.call)) return;
  // Whatever the answer, the request body is not read: close the connection after it.
  res.shouldKeepAlive = false;
  if (grpc) {
    refuse(res, 505, "gRPC requires HTTP/2: connect with HTTP/2 (prior knowledge in plain text, ALPN h2 with TLS)\n");
    return;
  }
  if (req.method !== "POST") {
    res.setHeader("allow", "POST");
    refuse(res, 405, "this server answers gRPC over HTTP/2 (POST application/grpc)\n");
    return;
  }
  refuse(res, 415, "unsupported content-type: this server answers gRPC over HTTP/2 (application/grpc)\n");
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(message), connection: "close" });
  res.end(message);
}
