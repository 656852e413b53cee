/** tsgrpc serving BenchmarkService, from the compiled package (lib/tsgrpc.ts). */
import { createServer } from "../lib/tsgrpc.js";
import { BenchmarkService } from "../../interop/gen/grpc/testing/benchmark_service_pb.js";
import { responseFor } from "../lib/messages.js";
import type { BenchServer, BenchServerOptions } from "./bench-server.js";

export async function startTsgrpcServer(options: BenchServerOptions): Promise<BenchServer> {
  const server = createServer().service(BenchmarkService, {
    async unaryCall(request) {
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
  const { port } = await server.listen({ host: options.host, port: options.port });
  return { port, close: () => server.close({ graceMs: 0 }) };
}
