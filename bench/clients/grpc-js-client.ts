/** `@grpc/grpc-js` as a BenchClient, through its generic client API. */
import { once } from "node:events";
import * as grpc from "@grpc/grpc-js";
import { BenchmarkService } from "../../interop/gen/grpc/testing/benchmark_service_pb.js";
import { grpcJsDefinition } from "../lib/grpc-js-definition.js";
import { requestFor, type SimpleResponse } from "../lib/messages.js";
import { checkSize, type BenchClient, type BenchClientOptions, type PingPong } from "./bench-client.js";

type Callback = (error: grpc.ServiceError | null, response?: SimpleResponse) => void;
interface GenericClient extends grpc.Client {
  UnaryCall(request: unknown, callback: Callback): grpc.ClientUnaryCall;
  StreamingFromServer(request: unknown): grpc.ClientReadableStream<SimpleResponse>;
  StreamingFromClient(callback: Callback): grpc.ClientWritableStream<unknown>;
  StreamingCall(): grpc.ClientDuplexStream<unknown, SimpleResponse>;
}

const Constructor = grpc.makeGenericClientConstructor(grpcJsDefinition(BenchmarkService), "BenchmarkService");

export function createGrpcJsClient(options: BenchClientOptions): BenchClient {
  const client = new Constructor(
    new URL(options.url).host,
    grpc.credentials.createInsecure(),
  ) as unknown as GenericClient;
  const request = requestFor(options.responseSize, options.payloadSize);
  const expected = options.responseSize;

  return {
    unary() {
      return new Promise((resolve, reject) => {
        client.UnaryCall(request, (error, response) => {
          if (error) return reject(error);
          try {
            checkSize(response?.payload?.body.byteLength, expected);
            resolve();
          } catch (e) {
            reject(e);
          }
        });
      });
    },
    serverStream(count) {
      return new Promise((resolve, reject) => {
        const call = client.StreamingFromServer(request);
        let received = 0;
        call.on("data", (response: SimpleResponse) => {
          if (received >= count) return;
          try {
            checkSize(response.payload?.body.byteLength, expected);
          } catch (e) {
            call.cancel();
            return reject(e);
          }
          if (++received === count) {
            call.cancel();
            resolve();
          }
        });
        call.on("error", (error: grpc.ServiceError) => {
          if (error.code !== grpc.status.CANCELLED || received < count) reject(error);
        });
        call.on("end", () => {
          if (received < count) reject(new Error(`stream ended after ${received} of ${count} messages`));
        });
      });
    },
    async clientStream(count) {
      let call!: grpc.ClientWritableStream<unknown>;
      const done = new Promise<SimpleResponse | undefined>((resolve, reject) => {
        call = client.StreamingFromClient((error, response) => (error ? reject(error) : resolve(response)));
      });
      for (let i = 0; i < count; i++) {
        // A failed call never drains: racing with its answer ends the wait.
        if (!call.write(request)) await Promise.race([once(call, "drain"), done]);
      }
      call.end();
      checkSize((await done)?.payload?.body.byteLength, expected);
    },
    async openPingPong(): Promise<PingPong> {
      const call = client.StreamingCall();
      const waiting: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
      let failure: unknown;
      call.on("data", (response: SimpleResponse) => {
        const next = waiting.shift();
        try {
          checkSize(response.payload?.body.byteLength, expected);
          next?.resolve();
        } catch (e) {
          next?.reject(e);
        }
      });
      call.on("error", (error) => {
        failure = error;
        for (const w of waiting.splice(0)) w.reject(error);
      });
      const ended = new Promise<void>((resolve, reject) => {
        call.on("status", (status: grpc.StatusObject) =>
          status.code === grpc.status.OK ? resolve() : reject(new Error(`status ${status.code}`)),
        );
      });
      return {
        ping() {
          if (failure) return Promise.reject(failure);
          return new Promise<void>((resolve, reject) => {
            waiting.push({ resolve, reject });
            call.write(request);
          });
        },
        async close() {
          call.end();
          await ended;
        },
      };
    },
    close() {
      client.close();
    },
  };
}
