/** tsgrpc as a BenchClient, from the compiled package (lib/tsgrpc.ts). */
import { Code, createChannel, createClient, createWritableIterable, RpcError } from "../lib/tsgrpc.js";
import { BenchmarkService } from "../../interop/gen/grpc/testing/benchmark_service_pb.js";
import { requestFor, type SimpleRequest } from "../lib/messages.js";
import { checkSize, type BenchClient, type BenchClientOptions, type PingPong } from "./bench-client.js";

export function createTsgrpcClient(options: BenchClientOptions): BenchClient {
  const channel = createChannel(options.url);
  const client = createClient(BenchmarkService, channel);
  const request = requestFor(options.responseSize, options.payloadSize);
  const expected = options.responseSize;

  return {
    async unary() {
      const response = await client.unaryCall(request);
      checkSize(response.payload?.body.byteLength, expected);
    },
    async serverStream(count) {
      let received = 0;
      try {
        for await (const response of client.streamingFromServer(request)) {
          checkSize(response.payload?.body.byteLength, expected);
          if (++received === count) break;
        }
      } catch (error) {
        if (!(received === count && error instanceof RpcError && error.code === Code.CANCELLED)) throw error;
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
    close() {
      channel.close();
    },
  };
}
