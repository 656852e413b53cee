/** `@grpc/grpc-js` serving BenchmarkService, written as its users would. */
import * as grpc from "@grpc/grpc-js";
import { BenchmarkService } from "../../interop/gen/grpc/testing/benchmark_service_pb.js";
import { grpcJsDefinition } from "../lib/grpc-js-definition.js";
import { responseFor, type SimpleRequest, type SimpleResponse } from "../lib/messages.js";
import type { BenchServer, BenchServerOptions } from "./bench-server.js";

const implementation: grpc.UntypedServiceImplementation = {
  UnaryCall(
    call: grpc.ServerUnaryCall<SimpleRequest, SimpleResponse>,
    callback: grpc.sendUnaryData<SimpleResponse>,
  ) {
    callback(null, responseFor(call.request.responseSize));
  },
  StreamingCall(call: grpc.ServerDuplexStream<SimpleRequest, SimpleResponse>) {
    call.on("data", (request: SimpleRequest) => call.write(responseFor(request.responseSize)));
    call.on("end", () => call.end());
  },
  StreamingFromClient(
    call: grpc.ServerReadableStream<SimpleRequest, SimpleResponse>,
    callback: grpc.sendUnaryData<SimpleResponse>,
  ) {
    let size = 0;
    call.on("data", (request: SimpleRequest) => (size = request.responseSize));
    call.on("end", () => callback(null, responseFor(size)));
  },
  StreamingFromServer(call: grpc.ServerWritableStream<SimpleRequest, SimpleResponse>) {
    const response = responseFor(call.request.responseSize);
    let cancelled = false;
    call.on("cancelled", () => (cancelled = true));
    call.on("error", () => (cancelled = true));
    const pump = (): void => {
      while (!cancelled && call.write(response));
    };
    call.on("drain", pump);
    pump();
  },
};

export function startGrpcJsServer(options: BenchServerOptions): Promise<BenchServer> {
  const server = new grpc.Server();
  server.addService(grpcJsDefinition(BenchmarkService), implementation);
  return new Promise((resolve, reject) => {
    server.bindAsync(
      `${options.host}:${options.port}`,
      grpc.ServerCredentials.createInsecure(),
      (error, port) => {
        if (error) return reject(error);
        resolve({
          port,
          close: () => {
            server.forceShutdown();
            return Promise.resolve();
          },
        });
      },
    );
  });
}
