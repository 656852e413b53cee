import type { Metadata } from "../../metadata/metadata.js";
import type { Code } from "../../status/code.js";
import type { Detail } from "../../status/details.js";
import type { RpcError } from "../../status/rpc-error.js";

/**
 * What a client wire tells the call it carries, as the response arrives.
 * Called synchronously from the wire's I/O callbacks: `headerReceived` at
 * most once, then any number of `message`s, then exactly one of `status`
 * and `failed` (later calls are ignored by the call).
 */
export interface ClientWireSink {
  /**
   * The response headers arrived (`wire.header()` has them); `encoding` is
   * that of compressed messages. `trailersOnly`: the headers carry the
   * status, which follows at once (a retrying client does not commit to
   * such an attempt).
   */
  headerReceived(encoding: string | undefined, trailersOnly?: boolean): void;
  /** One response message as framed: its payload, and whether it is compressed. */
  message(payload: Uint8Array, compressed: boolean): void;
  /** The server's status arrived (`wire.trailer()` has the trailers). */
  status(code: Code, message: string, details: Detail[]): void;
  /** The call broke: a protocol error (the wire has cancelled the stream), a reset, a lost connection. */
  failed(error: RpcError): void;
}

/**
 * One call of one protocol on one stream, client side: what the
 * protocol-neutral client call needs to send requests and receive the
 * response. Every method is safe to call after the stream has closed.
 */
export interface ClientWire {
  /** Starts delivering the response to `sink`. */
  start(sink: ClientWireSink): void;
  /** Sends one request message; returns a promise when the peer is not keeping up. */
  send(payload: Uint8Array, compressed: boolean): Promise<void> | undefined;
  /** Sends the last request message and half-closes, in one write (the unary fast path). */
  sendLast(payload: Uint8Array, compressed: boolean): void;
  /** Half-closes: no more request messages. */
  closeSend(): void;
  /** Whether the request side is closed (half-closed, or the stream is gone). */
  readonly sendClosed: boolean;
  /** Cancels the call on the wire (RST_STREAM CANCEL in HTTP/2). */
  cancel(): void;
  /** The call has ended: stop sending whatever is left of the request, release what is held. */
  finished(): void;
  /** Stops reading the response (flow control then stops the server) until `resume`. */
  pause(): void;
  resume(): void;
  /** Response headers (empty until they arrive, and for a status-only response). */
  header(): Metadata;
  /** Response trailers (empty until they arrive). */
  trailer(): Metadata;
  /**
   * Whether the server certainly never processed the call, once it has
   * failed: it refused the stream, or the stream never reached it. A client
   * may then try again on another stream without asking a retry policy
   * (gRFC A6 transparent retry). Absent means false.
   */
  readonly unprocessed?: boolean;
  /** The raw `grpc-retry-pushback-ms` value of the status, if the server sent one (gRFC A6 pushback). */
  retryPushback?(): string | undefined;
}
