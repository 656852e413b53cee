import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2Session } from "node:http2";
import { grpcSubtype } from "../internal/grpc-content-type.js";
import { http1Exchange } from "../internal/transport/http-exchange.js";
import type { ConnectionCheck, DispatchSettings } from "./http2-dispatch.js";
import { dispatchWebRequest } from "./web-dispatch.js";
import { http1Exchange as http1RestExchange } from "../transcoding/rest-exchange.js";
import { dispatchRest } from "./rest-dispatch.js";

/**
 * The one place where a server decides what an HTTP/1.1 request is. The
 * listener accepts HTTP/1.1 on every address so that protocols made for it
 * (gRPC-Web, Connect, REST/JSON) can arrive there; gRPC itself needs HTTP/2
 * (trailers, full duplex), so a gRPC request over HTTP/1.1 gets a clear
 * refusal, and so does anything no enabled protocol answers.
 */
export function dispatchHttp1Request(req: IncomingMessage, res: ServerResponse, d: DispatchSettings, check?: ConnectionCheck): void {
  const contentType = req.headers["content-type"];
  if (typeof contentType === "string" && grpcSubtype(contentType) !== undefined) {
    res.shouldKeepAlive = false;
    refuse(res, 505, "gRPC requires HTTP/2: connect with HTTP/2 (prior knowledge in plain text, ALPN h2 with TLS)\n");
    return;
  }
  if (d.web || d.rest) {
    // An mTLS address refuses HTTP/1.1 clients without a good certificate as it refuses HTTP/2 ones.
    const refusal = check ? check({ socket: req.socket } as unknown as Http2Session) : null;
    if (refusal) {
      res.shouldKeepAlive = false;
      refuse(res, 403, refusal + "\n");
      return;
    }
    if (d.web && dispatchWebRequest(http1Exchange(req, res), d, d.web)) return;
    // REST calls read their body: their connection can stay open for the next request.
    if (d.rest && dispatchRest(http1RestExchange(req, res), d.rest, d.router, d.call)) return;
  }
  // Whatever the answer, the request body is not read: close the connection after it.
  res.shouldKeepAlive = false;
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
