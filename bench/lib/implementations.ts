/**
 * The implementations under test, by the name used on the command line.
 * Loaded lazily so that a server or client process holds only its own stack
 * in memory (the memory workloads measure whole processes).
 */
import type { BenchClient, BenchClientOptions } from "../clients/bench-client.js";
import type { BenchServer, BenchServerOptions } from "../servers/bench-server.js";

export const IMPLS = ["tsgrpc", "grpc-js", "connect", "raw", "raw-protobuf"] as const;
export type Impl = (typeof IMPLS)[number];

/**
 * Bounds measured by the throughput workloads alone: `raw-protobuf`, the raw
 * bound plus protobuf-es's parse and serialize. Its server answers unary
 * calls only, and end to end or in memory it would only repeat the raw row.
 */
const THROUGHPUT_ONLY: readonly string[] = ["raw-protobuf"];

/** The implementations of `impls` that the whole-stack workloads (end to end, memory) measure. */
export function wholeStacks(impls: readonly string[]): string[] {
  return impls.filter((i) => !THROUGHPUT_ONLY.includes(i));
}

export function isImpl(name: string): name is Impl {
  return (IMPLS as readonly string[]).includes(name);
}

export async function startServer(impl: Impl, options: BenchServerOptions): Promise<BenchServer> {
  switch (impl) {
    case "tsgrpc":
      return (await import("../servers/tsgrpc-server.js")).startTsgrpcServer(options);
    case "grpc-js":
      return (await import("../servers/grpc-js-server.js")).startGrpcJsServer(options);
    case "connect":
      return (await import("../servers/connect-server.js")).startConnectServer(options);
    case "raw":
      return (await import("../servers/raw-server.js")).startRawServer(options);
    case "raw-protobuf":
      return (await import("../servers/raw-protobuf-server.js")).startRawProtobufServer(options);
  }
}

export async function createBenchClient(impl: Impl, options: BenchClientOptions): Promise<BenchClient> {
  switch (impl) {
    case "tsgrpc":
      return (await import("../clients/tsgrpc-client.js")).createTsgrpcClient(options);
    case "grpc-js":
      return (await import("../clients/grpc-js-client.js")).createGrpcJsClient(options);
    case "connect":
      return (await import("../clients/connect-client.js")).createConnectClient(options);
    case "raw":
      return (await import("../clients/raw-client.js")).createRawClient(options);
    case "raw-protobuf":
      return (await import("../clients/raw-protobuf-client.js")).createRawProtobufClient(options);
  }
}
