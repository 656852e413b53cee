/** Connect (`@connectrpc/connect-node`) serving BenchmarkService over gRPC on HTTP/2 only. */
import http2 from "node:http2";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { BenchmarkService } from "../../interop/gen/grpc/testing/benchmark_service_pb.js";
import { responseFor } from "../lib/messages.js";
import type { BenchServer, BenchServerOptions } from "./bench-server.js";
import { listenHttp2 } from "./listen-http2.js";

function routes(router: ConnectRouter): void {
  router.service(BenchmarkService, {
    unaryCall(request) {
      return responseFor(request.responseSize);
    },
    async *streamingCall(requests) {
      for await (const request of requests) yield responseFor(request.responseSize);
    },
    async streamingFromClient(requests) {
      let size = 0;
      for await (const request of requests) size = request.responseSize;
      return responseFor(size);
    },
    async *streamingFromServer(request, context) {
      const response = responseFor(request.responseSize);
      while (!context.signal.aborted) yield response;
    },
  });
}

export function startConnectServer(options: BenchServerOptions): Promise<BenchServer> {
  const handler = connectNodeAdapter({ routes, grpc: true, grpcWeb: false, connect: false });
  return listenHttp2(http2.createServer(handler), options);
}
