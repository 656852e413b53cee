import type { DescMessage, DescMethod } from "@bufbuild/protobuf";
import type { ClientHttp2Stream, OutgoingHttpHeaders } from "node:http2";
import type { Codec } from "../codec/codec.js";
import type { Compression } from "../internal/compression.js";
import { encodeTimeout } from "../internal/grpc-timeout.js";
import type { ClientWire } from "../internal/transport/client-wire.js";
import type { Metadata } from "../metadata/metadata.js";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";
import { ClientCall, type AttemptHooks, type ClientCallSettings } from "./client-call.js";
import type { RequestReplay, StreamReplayEvents } from "./request-replay.js";
import type { RetryThrottle } from "./retry-throttle.js";
import { RetryingCall, type RetryClock, type RetryingCallOptions } from "./retrying-call.js";
import type { HedgingSettings, MethodSettings, RetrySettings } from "./service-config.js";
import type { StreamRequest, UnaryRequest } from "../interceptor.js";

/** What every call of a channel shares, settled in `createChannel`. */
export interface ChannelCallShared {
  /** Opens an attempt's stream through the channel's balancer, perhaps waiting for a connection. */
  readonly open: (headers: OutgoingHttpHeaders, call: ChannelCall) => ClientHttp2Stream | Promise<ClientHttp2Stream>;
  /** The wire of an attempt on its opened stream. */
  readonly wire: (stream: ClientHttp2Stream, method: DescMethod, maxReceiveBytes: number) => ClientWire;
  /** Whether `grpc-timeout` is the protocol's deadline header (gRPC; Connect sets its own once). */
  readonly grpcTimeout: boolean;
  readonly codec: Codec;
  readonly receiveHighWaterMarkBytes: number;
  readonly findCompression: (encoding: string) => Compression | undefined;
  readonly transparentRetry: boolean;
  readonly throttle: RetryThrottle;
  readonly clock: RetryClock;
}

/** What a channel works out once per method (from its service config) and every call of it shares. */
export interface MethodPlan {
  readonly path: string;
  readonly settings: MethodSettings | undefined;
  readonly retry: RetrySettings | undefined;
  readonly hedging: HedgingSettings | undefined;
  readonly streamingResponse: boolean;
}

/**
 * One call on a channel: the options of its `RetryingCall`, the settings of
 * each attempt's `ClientCall`, and how an attempt gets its stream, in one
 * object. The call path makes as few objects and closures per call as it
 * can: this one, the retrying call, and per attempt its stream, wire and
 * call.
 */
export class ChannelCall implements RetryingCallOptions, ClientCallSettings, StreamReplayEvents {
  readonly #shared: ChannelCallShared;
  readonly #method: DescMethod;
  readonly #headers: OutgoingHttpHeaders;
  // RetryingCallOptions
  readonly streamingResponse: boolean;
  /** Set by the channel right after construction (a streamed request reports to this call). */
  request!: RequestReplay;
  readonly retry: RetrySettings | undefined;
  readonly hedging: HedgingSettings | undefined;
  readonly transparentRetry: boolean;
  readonly throttle: RetryThrottle;
  readonly clock: RetryClock;
  // ClientCallSettings (and the stream's pick)
  readonly output: DescMessage;
  readonly codec: Codec;
  readonly maxReceiveBytes: number;
  readonly receiveHighWaterMarkBytes: number;
  readonly sendCompression: Compression | undefined;
  readonly findCompression: (encoding: string) => Compression | undefined;
  readonly deadline: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly onHeader: ((header: Metadata) => void) | undefined;
  readonly onTrailer: ((trailer: Metadata) => void) | undefined;
  /** Wait for a connection instead of failing when none is ready (the method config's `waitForReady`). */
  readonly waitForReady: boolean;
  /** The retrying call whose attempts these are (set by `start`). */
  attempt: RetryingCall | undefined;

  /**
   * One call of `plan`'s method: `req` as the interceptor chain passed it,
   * with what the channel settled from it (headers, deadline, limits,
   * compression). Read straight into the call, with no object in between.
   */
  constructor(
    shared: ChannelCallShared,
    plan: MethodPlan,
    req: UnaryRequest | StreamRequest,
    headers: OutgoingHttpHeaders,
    deadline: number | undefined,
    maxReceiveBytes: number,
    sendCompression: Compression | undefined,
  ) {
    const o = req.options;
    this.#shared = shared;
    this.#method = req.method;
    this.#headers = headers;
    this.streamingResponse = plan.streamingResponse;
    this.retry = plan.retry;
    this.hedging = plan.hedging;
    this.transparentRetry = shared.transparentRetry;
    this.throttle = shared.throttle;
    this.clock = shared.clock;
    this.output = req.method.output;
    this.codec = shared.codec;
    this.maxReceiveBytes = maxReceiveBytes;
    this.receiveHighWaterMarkBytes = shared.receiveHighWaterMarkBytes;
    this.sendCompression = sendCompression;
    this.findCompression = shared.findCompression;
    this.deadline = deadline;
    this.signal = req.signal;
    this.onHeader = o?.onHeader;
    this.onTrailer = o?.onTrailer;
    this.waitForReady = o?.waitForReady ?? plan.settings?.waitForReady ?? false;
    this.attempt = undefined;
  }

  /** Starts the call's first attempt; resolves as the interceptor chain expects. */
  start(): ReturnType<RetryingCall["start"]> {
    const retrying = new RetryingCall(this);
    this.attempt = retrying;
    return retrying.start();
  }

  /** Part of RetryingCallOptions: opens one attempt's stream and returns its call. */
  startAttempt(previousAttempts: number, hooks: AttemptHooks): ClientCall | Promise<ClientCall> {
    const shared = this.#shared;
    const headers = previousAttempts === 0 ? this.#headers : { ...this.#headers, "grpc-previous-rpc-attempts": String(previousAttempts) };
    // Each attempt tells the server the time left (a protocol's own header was set from the deadline once).
    if (this.deadline !== undefined && shared.grpcTimeout) headers["grpc-timeout"] = encodeTimeout(this.deadline - Date.now());
    let opened;
    try {
      opened = shared.open(headers, this);
    } catch (e) {
      return Promise.reject(e instanceof RpcError ? e : new RpcError(Code.UNAVAILABLE, (e as Error).message, { cause: e }));
    }
    // Attempts report to the retrying call; hooks of another kind get these settings read through.
    const settings: ClientCallSettings = hooks === this.attempt ? this : withHooks(this, hooks);
    if ("then" in opened) return opened.then((stream) => new ClientCall(shared.wire(stream, this.#method, this.maxReceiveBytes), settings));
    return new ClientCall(shared.wire(opened, this.#method, this.maxReceiveBytes), settings);
  }

  /** Part of StreamReplayEvents */
  overflow(leader: ClientCall): void {
    this.attempt?.overflow(leader);
  }

  /** Part of StreamReplayEvents */
  failed(error: RpcError): void {
    this.attempt?.cancel(error);
  }
}

/** This call's settings for an attempt that reports to other hooks: the call's own fields, read through. */
function withHooks(call: ChannelCall, hooks: AttemptHooks): ClientCallSettings {
  const settings: { attempt: AttemptHooks | undefined } = Object.create(call);
  settings.attempt = hooks;
  return settings as ClientCallSettings;
}
