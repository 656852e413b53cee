import { create, toBinary } from "@bufbuild/protobuf";
import type * as http2 from "node:http2";
import { Backoff } from "../internal/backoff.js";
import { findCompression } from "../internal/compression.js";
import { GrpcClientWire } from "../internal/transport/grpc-client-wire.js";
import type { Subchannel } from "../internal/transport/subchannel.js";
import { protoCodec } from "../codec/proto-codec.js";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";
import { Health, HealthCheckRequestSchema, HealthCheckResponse_ServingStatus, type HealthCheckResponse } from "../health/gen/grpc/health/v1/health_pb.js";
import type { StreamResponse } from "../interceptor.js";
import type { BalancerSubchannel, ConnectivityState } from "./balancer/load-balancer.js";
import { ClientCall } from "./client-call.js";

const watchPath = `/${Health.typeName}/${Health.method.watch.name}`;

/**
 * A subchannel whose backend is asked, while connected, whether it is fit
 * to serve (gRPC's client-side health checking, gRFC A17): a
 * `grpc.health.v1.Health/Watch` stream for the service config's
 * `healthCheckConfig.serviceName`. The balancer sees READY only while the
 * backend reports SERVING; any other answer is TRANSIENT_FAILURE, so calls
 * go elsewhere. A backend without the health service (UNIMPLEMENTED) is
 * taken as healthy, as in gRPC. A watch that ends otherwise (any other
 * status, OK included) makes the subchannel TRANSIENT_FAILURE until a new
 * watch, opened at once if the last one brought a message and after an
 * exponential backoff if not, gets an answer (CONNECTING meanwhile).
 */
export class HealthCheckedSubchannel implements BalancerSubchannel {
  readonly #inner: Subchannel;
  readonly #service: string;
  readonly #userAgent: string;
  readonly #listeners = new Set<(state: ConnectivityState, error: Error | undefined) => void>();
  readonly #backoff = new Backoff();
  #state: ConnectivityState;
  #error: Error | undefined;
  #watch: AbortController | undefined;
  #retry: NodeJS.Timeout | undefined;

  constructor(inner: Subchannel, serviceName: string, userAgent: string) {
    this.#inner = inner;
    this.#service = serviceName;
    this.#userAgent = userAgent;
    this.#state = inner.state === "READY" ? "CONNECTING" : inner.state;
    inner.watch((state, error) => this.#innerChanged(state, error));
    if (inner.state === "READY") this.#startWatch();
  }

  get address() {
    return this.#inner.address;
  }

  get state(): ConnectivityState {
    return this.#state;
  }

  get lastError(): Error | undefined {
    return this.#error ?? this.#inner.lastError;
  }

  /** The subchannel that carries the calls. */
  get inner(): Subchannel {
    return this.#inner;
  }

  connect(): void {
    this.#inner.connect();
  }

  watch(listener: (state: ConnectivityState, error: Error | undefined) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  shutdown(): void {
    this.#stopWatch();
    this.#inner.shutdown();
  }

  #set(state: ConnectivityState, error: Error | undefined): void {
    if (this.#state === "SHUTDOWN") return;
    if (error) this.#error = error;
    if (state === this.#state && !error) return;
    this.#state = state;
    for (const l of [...this.#listeners]) l(state, error);
    if (state === "SHUTDOWN") this.#listeners.clear();
  }

  #innerChanged(state: ConnectivityState, error: Error | undefined): void {
    if (state === "READY") {
      this.#set("CONNECTING", undefined);
      this.#startWatch();
      return;
    }
    this.#stopWatch();
    this.#set(state, error);
  }

  #stopWatch(): void {
    clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#watch?.abort();
    this.#watch = undefined;
  }

  #startWatch(): void {
    this.#stopWatch();
    const abort = new AbortController();
    this.#watch = abort;
    let stream: http2.ClientHttp2Stream;
    try {
      stream = this.#inner.requestInBackground({
        ":method": "POST",
        ":path": watchPath,
        "content-type": "application/grpc",
        te: "trailers",
        "user-agent": this.#userAgent,
      });
    } catch (e) {
      return this.#watchEnded(abort, false, e as Error);
    }
    let answered = false;
    const maxReceiveBytes = 64 * 1024;
    const call = new ClientCall(new GrpcClientWire(stream, maxReceiveBytes), {
      output: Health.method.watch.output,
      codec: protoCodec,
      maxReceiveBytes,
      sendCompression: undefined,
      findCompression,
      deadline: undefined,
      signal: abort.signal,
      onHeader: undefined,
      onTrailer: undefined,
    });
    call.sendLast(toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service: this.#service })));
    call
      .response(true)
      .then(async (response) => {
        for await (const m of (response as StreamResponse).message) {
          if (this.#watch !== abort) return;
          answered = true;
          this.#report((m as HealthCheckResponse).status);
        }
        this.#watchEnded(abort, answered, new Error("the backend ended the health Watch stream"));
      })
      .catch((e: Error) => this.#watchEnded(abort, answered, e));
  }

  #report(status: HealthCheckResponse_ServingStatus): void {
    if (status === HealthCheckResponse_ServingStatus.SERVING) {
      this.#error = undefined;
      this.#set("READY", undefined);
    } else {
      const name = HealthCheckResponse_ServingStatus[status] ?? String(status);
      this.#set("TRANSIENT_FAILURE", new Error(`the backend reports ${name} for service "${this.#service}"`));
    }
  }

  /** The watch ended; `answered`: it brought at least one message. */
  #watchEnded(abort: AbortController, answered: boolean, error: Error): void {
    if (this.#watch !== abort || abort.signal.aborted || this.#inner.state !== "READY") return;
    this.#watch = undefined;
    if (error instanceof RpcError && error.code === Code.UNIMPLEMENTED) {
      // No health service there: it cannot tell, so it serves (gRFC A17).
      this.#error = undefined;
      this.#set("READY", undefined);
      return;
    }
    // gRFC A17: not fit to serve until a new watch says so; a watch that had
    // answered is opened again at once, one that had not after a backoff.
    this.#set("TRANSIENT_FAILURE", new Error(`the health Watch for service "${this.#service}" ended: ${error.message}`));
    if (answered) this.#backoff.reset();
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (this.#inner.state !== "READY") return;
      this.#set("CONNECTING", undefined);
      this.#startWatch();
    }, answered ? 0 : this.#backoff.next());
    this.#retry.unref();
  }
}
