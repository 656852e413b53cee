import type { DescMethod } from "@bufbuild/protobuf";
import type { Metadata } from "../metadata/metadata.js";
import type { ContextValues } from "../context-values.js";
import type { PeerTlsInfo } from "../credentials/peer-tls.js";

/**
 * What a handler knows about its call, and how it shapes the response
 * beyond its messages.
 */
export interface HandlerContext {
  /** The method called. */
  readonly method: DescMethod;
  /** Request metadata (reserved `grpc-*` and HTTP/2 headers excluded, but for a retried call's `grpc-previous-rpc-attempts`). */
  readonly metadata: Metadata;
  /** Absolute deadline in epoch milliseconds from the client's `grpc-timeout`, if any. */
  readonly deadline: number | undefined;
  /** Milliseconds left before the deadline (never negative), or undefined without one. */
  timeRemainingMs(): number | undefined;
  /**
   * Fires when the call ends for any reason: client cancel, deadline,
   * disconnect, server shutdown, or completion. Pass it to downstream work.
   */
  readonly signal: AbortSignal;
  /** The client's address, `ip:port`. */
  readonly peer: string;
  /**
   * The TLS connection the call came in on (protocol, and the client's
   * certificate under mTLS); undefined for plain text.
   */
  readonly tls: PeerTlsInfo | undefined;
  /**
   * Typed values of this call, set by interceptors for the handler (for
   * example the caller that an auth interceptor identified). See `createContextKey`.
   */
  readonly values: ContextValues;
  /** Response headers; change them until they are sent (first message, `sendHeader`, or the end). */
  readonly responseHeader: Metadata;
  /** Response trailers, sent with the status. */
  readonly responseTrailer: Metadata;
  /** Sends the response headers now, before any message. */
  sendHeader(): void;
  /** Compresses response messages with `encoding` (if the client accepts it). Call before the first message. */
  setResponseCompression(encoding: "identity" | "gzip" | "deflate"): void;
  /** Turns compression of the following response messages on or off (default on once an encoding is set). */
  setMessageCompression(enabled: boolean): void;
  /** Whether the request message delivered last arrived with the compressed flag set. */
  readonly requestCompressed: boolean;
}
