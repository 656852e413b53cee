import type { Message } from "@bufbuild/protobuf";
import type { Interceptor } from "../interceptor.js";
import type { Metadata, MetadataInit } from "../metadata/metadata.js";
import type { CallCredentials } from "../credentials/call-credentials.js";

/**
 * Options of one call. Every field is optional.
 *
 * They are checked when the call starts: a value of the wrong type or out
 * of range (a `NaN` timeout, a metadata key with a space, a non-ASCII value)
 * is misuse, so the call's promise, or a stream's first `next()`, rejects
 * with a `TypeError` naming the method and the option (never an `RpcError`,
 * which is for calls that failed), and nothing is sent.
 */
export interface CallOptions {
  /**
   * Time the call may take, in milliseconds; sent as `grpc-timeout`. Default:
   * none (`Infinity`). Zero or less is a deadline that has already passed:
   * the call fails with DEADLINE_EXCEEDED without being sent.
   */
  timeoutMs?: number;
  /** Absolute deadline (a `Date` or epoch milliseconds); the earlier of this and `timeoutMs` wins. */
  deadline?: Date | number;
  /**
   * Wait for a connection instead of failing at once with UNAVAILABLE while
   * the channel cannot connect (TRANSIENT_FAILURE); the deadline still
   * applies. Default false (fail fast), as in every gRPC.
   */
  waitForReady?: boolean;
  /** Aborting it cancels the call (RST_STREAM CANCEL); the call fails with CANCELLED. */
  signal?: AbortSignal;
  /**
   * Request metadata. Keys are lowercased; keys gRPC owns (`grpc-timeout`,
   * `content-type`, `te` …) are refused.
   */
  metadata?: MetadataInit;
  /** Called once with the response headers (empty for a trailers-only response). */
  onHeader?(header: Metadata): void;
  /** Called once with the response trailers when the call ends. */
  onTrailer?(trailer: Metadata): void;
  /** Largest response message accepted, in bytes, after decompression. Default: the channel's (4 MiB). */
  maxReceiveBytes?: number;
  /** Largest request message sent, in bytes. Default: the channel's (unlimited). */
  maxSendBytes?: number;
  /** Compression of request messages. Default: the channel's (`identity`). */
  compression?: "identity" | "gzip" | "deflate";
  /** With `compression`, decides per request message whether to compress it (default: all). */
  compressMessage?: (message: Message, index: number) => boolean;
  /** Interceptors for this call only, run inside the client's and channel's. */
  interceptors?: Interceptor[];
  /**
   * Metadata made for this call only (a token, say), after the channel's
   * call credentials. Refused (UNAUTHENTICATED) on a plain-text channel
   * unless it allows insecure call credentials.
   */
  callCredentials?: CallCredentials;
  /**
   * Whether a call made while a tsgrpc handler runs inherits that handler's
   * deadline (the earlier one wins) and cancellation. Default true; set
   * false for work that must outlive the incoming call.
   */
  propagate?: boolean;
}
