import type { Codec } from "../../codec/codec.js";
import type { PeerTlsInfo } from "../../credentials/peer-tls.js";
import type { Metadata } from "../../metadata/metadata.js";
import type { RpcError } from "../../status/rpc-error.js";

/**
 * What a wire tells the call it carries, as the request arrives. Called
 * synchronously from the wire's I/O callbacks, in this order: any number of
 * `message`s, then exactly one of `requestEnd` and `requestFailed` (or
 * neither), and `closed` if the stream goes away before the call ends.
 */
export interface ServerWireSink {
  /** One request message as framed: its payload, and whether it is compressed with the request encoding. */
  message(payload: Uint8Array, compressed: boolean): void;
  /** The client finished sending: no more messages. */
  requestEnd(): void;
  /** The request broke the protocol (bad framing, a message over the limit, a truncated message). */
  requestFailed(error: RpcError): void;
  /** The stream went away (client cancel, reset, disconnect) before the call ended. */
  closed(error: RpcError): void;
}

/**
 * One call of one protocol (gRPC over HTTP/2, later gRPC-Web, Connect …)
 * on one HTTP stream, server side: everything the protocol-neutral server
 * call needs from the wire, and nothing more. Wires parse their protocol's
 * request headers, frame messages, and write statuses the protocol's way;
 * the call owns the lifecycle (deadline, cancellation, the handler, ending
 * once). Every method is safe to call after the stream has closed.
 */
export interface ServerWire {
  /** The codec the request's content type asks for. */
  readonly codec: Codec;
  /** The client's timeout in milliseconds, if it sent one. */
  readonly timeoutMs: number | undefined;
  /** The encoding of compressed request messages, if not identity. */
  readonly requestEncoding: string | undefined;
  /** The encodings the client accepts for responses, as sent (comma-separated). */
  readonly acceptEncoding: string;
  /** The client's address, `ip:port` (`[v6]:port`). */
  readonly peer: string;
  /** The TLS connection the call came in on, or undefined. */
  readonly tls: PeerTlsInfo | undefined;
  /** Request metadata, parsed on first use. */
  requestMetadata(): Metadata;
  /** Starts delivering the request to `sink`; `streaming` when the method takes a request stream. */
  start(sink: ServerWireSink, streaming: boolean): void;
  /** Stops reading the request (flow control then stops the client) until `resume`. */
  pause(): void;
  resume(): void;
  /** Sends the response headers: `header` metadata, and `encoding` for compressed messages. */
  sendHeader(header: Metadata | undefined, encoding: string | undefined): void;
  /**
   * Sends one response message (after `sendHeader`). Returns a promise when
   * the client is not keeping up: send nothing more until it resolves.
   */
  sendMessage(payload: Uint8Array, compressed: boolean): Promise<void> | undefined;
  /**
   * Ends the response after `sendHeader`: an optional last message, then the
   * status (`null` for OK) with `trailer` and the error's own metadata.
   */
  finish(status: RpcError | null, trailer: Metadata | undefined, last?: Uint8Array, lastCompressed?: boolean): void;
  /** Ends a response whose headers were never sent: the status alone, with `header` and `trailer` metadata. */
  finishWithoutResponse(status: RpcError | null, header: Metadata | undefined, trailer: Metadata | undefined): void;
}
