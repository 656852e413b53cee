/** Connect (`@connectrpc/connect-node`) as a BenchClient, with its gRPC transport over HTTP/2. */
import { createClient, ConnectError, Code } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { BenchmarkService } from "../../interop/gen/grpc/testing/benchmark_service_pb.js";
import { requestFor, type SimpleRequest } from "../lib/messages.js";
import { checkSize, type BenchClient, type BenchClientOptions, type PingPong } from "./bench-client.js";

export function createConnectClient(options: BenchClientOptions): BenchClient {
  const transport = createGrpcTransport({ baseUrl: options.url });
  const client = createClient(BenchmarkService, transport);
  const request = requestFor(options.responseSize, options.payloadSize);
  const expected = options.responseSize;

  return {
    async unary() {
      const response = await client.unaryCall(request);
      checkSize(response.payload?.body.byteLength, expected);
    },
    async serverStream(count) {
      const abort = new AbortController();
      let received = 0;
      try {
        for await (const response of client.streamingFromServer(request, { signal: abort.signal })) {
          checkSize(response.payload?.body.byteLength, expected);
          if (++received === count) break;
        }
      } catch (error) {
        if (!(received === count && ConnectError.from(error).code === Code.Canceled)) throw error;
      } finally {
        abort.abort();
      }
      if (received < count) throw new Error(`stream ended after ${received} of ${count} messages`);
    },
    async clientStream(count) {
      async function* requests(): AsyncIterable<SimpleRequest> {
        for (let i = 0; i < count; i++) yield request;
      }
      const response = await client.streamingFromClient(requests());
      checkSize(response.payload?.body.byteLength, expected);
    },
    async openPingPong(): Promise<PingPong> {
      const requests = createWritableIterable<SimpleRequest>();
      const responses = client.streamingCall(requests)[Symbol.asyncIterator]();
      return {
        async ping() {
          const written = requests.write(request);
          const next = await responses.next();
          await written;
          if (next.done) throw new Error("stream ended early");
          checkSize(next.value.payload?.body.byteLength, expected);
        },
        async close() {
          requests.close();
          const next = await responses.next();
          if (!next.done) throw new Error("unexpected response after close");
        },
      };
    },
    close() {},
  };
}
