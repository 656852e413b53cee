import type { Codec } from "../codec/codec.js";
import { protoCodec } from "../codec/proto-codec.js";
import { ClientCall, refusedBeforeStart } from "../client/client-call.js";
import type { Transport } from "../client/transport.js";
import type { Interceptor, StreamRequest } from "../interceptor.js";
import { findCompression } from "../internal/compression.js";
import { checkByteLimit, defaultMaxReceiveBytes, unlimitedBytes } from "../internal/limits.js";
import { serializeMessage } from "../internal/message-codec.js";
import type { ClientWire, ClientWireSink } from "../internal/transport/client-wire.js";
import type { ServerWire, ServerWireSink } from "../internal/transport/server-wire.js";
import { Metadata, metadataFromHeaders } from "../metadata/metadata.js";
import type { Server } from "../server/create-server.js";
import { ServerCall } from "../server/server-call.js";
import { serverInternals, type ServerInternals } from "../server/server-internals.js";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";

/** Options of `createInMemoryTransport`. */
export interface InMemoryTransportOptions {
  /** Interceptors around every call, outside the client's own. */
  interceptors?: Interceptor[];
  /** How messages are serialized between client and handlers. Default `protoCodec`. */
  codec?: Codec;
  /** Largest response message accepted, in bytes. Default 4 MiB, as a channel's. */
  maxReceiveBytes?: number;
  /** Largest request message sent, in bytes. Default unlimited, as a channel's. */
  maxSendBytes?: number;
}

/**
 * A transport that runs the handlers of `server` in this process, with no
 * socket and no HTTP/2: for unit tests of services and of the code that
 * calls them. The server need not listen. Calls run the same client call
 * and server call as over the network, joined by an in-memory wire: the
 * server's interceptors, deadlines (sent as a timeout, enforced on both
 * sides), cancellation (abort, early `return()` of a response stream),
 * metadata (with the network's rules: reserved keys dropped, `-bin` values
 * copied), statuses with details, message limits, and backpressure both
 * ways. Messages are serialized with the codec both ways, so the handler and
 * the caller never share an object.
 *
 * ```ts
 * import { createInMemoryTransport } from "tsgrpc/testing";
 *
 * const server = createServer().service(UserService, impl);
 * const users = createClient(UserService, createInMemoryTransport(server));
 * assert.equal((await users.getUser({ id: "1" })).user?.id, "1");
 * ```
 */
export function createInMemoryTransport(server: Server, options: InMemoryTransportOptions = {}): Transport {
  const internals = serverInternals(server, "createInMemoryTransport");
  const codec = options.codec ?? protoCodec;
  const defaults = {
    maxReceiveBytes: checkByteLimit(options.maxReceiveBytes, "maxReceiveBytes", defaultMaxReceiveBytes),
    maxSendBytes: checkByteLimit(options.maxSendBytes, "maxSendBytes", unlimitedBytes),
  };
  return {
    interceptors: options.interceptors ?? [],
    call(req) {
      const refused = refusedBeforeStart(req);
      if (refused) return Promise.reject(refused);
      if (internals.closing) return Promise.reject(new RpcError(Code.UNAVAILABLE, "the server is shutting down"));
      const o = req.options ?? {};
      const method = req.method;
      const maxSendBytes = o.maxSendBytes ?? defaults.maxSendBytes;
      let first: Uint8Array | undefined;
      if (!req.stream) {
        try {
          first = serializeMessage(codec, method.input, req.message, maxSendBytes);
        } catch (e) {
          return Promise.reject(e);
        }
      }
      const maxReceiveBytes = o.maxReceiveBytes ?? defaults.maxReceiveBytes;
      const pipe = new InMemoryPipe(codec, req.deadline, req.header, internals.callSettings.maxReceiveBytes, maxReceiveBytes);
      const client = new ClientCall(pipe.client, {
        output: method.output,
        codec,
        maxReceiveBytes,
        sendCompression: undefined,
        findCompression,
        deadline: req.deadline,
        signal: req.signal,
        onHeader: o.onHeader,
        onTrailer: o.onTrailer,
      });
      const path = `/${method.parent.typeName}/${method.name}`;
      const entry = internals.router.find(path);
      if (!entry) pipe.server.finishWithoutResponse(new RpcError(Code.UNIMPLEMENTED, internals.router.explainMissing(path)), undefined, undefined);
      else new ServerCall(pipe.server, entry, internals.callSettings);
      if (first) client.sendLast(first);
      else void client.pump(req as StreamRequest, maxSendBytes, o.compressMessage);
      return client.response(method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming");
    },
  };
}

/** A gate that a sender waits on while the receiver does not want more. */
class Gate {
  #open: { promise: Promise<void>; resolve: () => void } | undefined;
  close(): void {
    if (this.#open) return;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.#open = { promise, resolve };
  }
  open(): void {
    const o = this.#open;
    this.#open = undefined;
    o?.resolve();
  }
  /** A promise while closed, undefined while open. */
  get wait(): Promise<void> | undefined {
    return this.#open?.promise;
  }
}

/**
 * The two ends of one in-memory call: `server`, the server call's wire, and
 * `client`, the client call's, each delivering to the other's sink as
 * HTTP/2 would. Every delivery is deferred to a microtask, like bytes
 * arriving from a socket, so neither side runs inside the other's stack.
 */
class InMemoryPipe {
  readonly server: ServerWire;
  readonly client: ClientWire;
  serverSink: ServerWireSink | undefined;
  clientSink: ClientWireSink | undefined;
  /** The server has ended the call, or the client cancelled it: nothing more goes either way. */
  done = false;
  requestEnded = false;
  /** Closed while the server does not want more requests. */
  readonly requests = new Gate();
  /** Closed while the client does not want more responses. */
  readonly responses = new Gate();
  readonly header = new Metadata();
  readonly trailer = new Metadata();
  readonly #serverMaxReceiveBytes: number;
  readonly #clientMaxReceiveBytes: number;

  constructor(codec: Codec, deadline: number | undefined, requestHeader: Metadata, serverMaxReceiveBytes: number, clientMaxReceiveBytes: number) {
    this.#serverMaxReceiveBytes = serverMaxReceiveBytes;
    this.#clientMaxReceiveBytes = clientMaxReceiveBytes;
    this.server = new ServerEnd(this, codec, deadline === undefined ? undefined : Math.max(0, deadline - Date.now()), requestHeader);
    this.client = new ClientEnd(this);
  }

  /** A request message reaches the server, within its receive limit. */
  deliverRequest(payload: Uint8Array): boolean {
    const server = this.serverSink;
    if (!server || this.done) return false;
    const limit = this.#serverMaxReceiveBytes;
    if (payload.byteLength > limit) {
      server.requestFailed(new RpcError(Code.RESOURCE_EXHAUSTED, `message of ${payload.byteLength} bytes is larger than the limit of ${limit} bytes`));
      return false;
    }
    server.message(payload, false);
    return true;
  }

  /** A response message reaches the client; one over its receive limit cancels the call, as the client's framing would. */
  deliverResponse(payload: Uint8Array): void {
    const client = this.clientSink;
    if (!client) return;
    const limit = this.#clientMaxReceiveBytes;
    if (payload.byteLength <= limit) {
      client.message(payload, false);
      return;
    }
    if (!this.done) {
      this.done = true;
      later(() => this.serverSink?.closed(new RpcError(Code.CANCELLED, "the client cancelled the call")));
    }
    client.failed(new RpcError(Code.RESOURCE_EXHAUSTED, `message of ${payload.byteLength} bytes is larger than the limit of ${limit} bytes`));
  }

  /** The server's status reaches the client, with the trailers as the network would carry them. */
  deliverStatus(status: RpcError | null, trailer: Metadata | undefined): void {
    this.trailer.merge(wireCopy(trailer));
    if (status) this.trailer.merge(wireCopy(status.metadata));
    this.requests.open();
    later(() => {
      if (status) this.clientSink?.status(status.code, status.rawMessage, [...status.details]);
      else this.clientSink?.status(Code.OK, "", []);
    });
  }
}

class ServerEnd implements ServerWire {
  readonly requestEncoding = undefined;
  readonly acceptEncoding = "";
  readonly peer = "in-memory";
  readonly tls = undefined;
  readonly #pipe: InMemoryPipe;
  readonly #requestHeader: Metadata;

  constructor(
    pipe: InMemoryPipe,
    readonly codec: Codec,
    readonly timeoutMs: number | undefined,
    requestHeader: Metadata,
  ) {
    this.#pipe = pipe;
    this.#requestHeader = requestHeader;
  }

  requestMetadata(): Metadata {
    return wireCopy(this.#requestHeader);
  }

  start(sink: ServerWireSink): void {
    this.#pipe.serverSink = sink;
  }

  pause(): void {
    this.#pipe.requests.close();
  }

  resume(): void {
    this.#pipe.requests.open();
  }

  sendHeader(header: Metadata | undefined): void {
    const pipe = this.#pipe;
    if (pipe.done) return;
    pipe.header.merge(wireCopy(header));
    later(() => pipe.clientSink?.headerReceived(undefined));
  }

  sendMessage(payload: Uint8Array): Promise<void> | undefined {
    const pipe = this.#pipe;
    if (pipe.done) return undefined;
    later(() => pipe.deliverResponse(payload));
    return pipe.responses.wait;
  }

  finish(status: RpcError | null, trailer: Metadata | undefined, last?: Uint8Array): void {
    const pipe = this.#pipe;
    if (pipe.done) return;
    pipe.done = true;
    if (last) later(() => pipe.deliverResponse(last));
    pipe.deliverStatus(status, trailer);
  }

  finishWithoutResponse(status: RpcError | null, header: Metadata | undefined, trailer: Metadata | undefined): void {
    const pipe = this.#pipe;
    if (pipe.done) return;
    pipe.done = true;
    // As on the wire, a status alone arrives as trailers, with the response header metadata in them.
    pipe.trailer.merge(wireCopy(header));
    later(() => pipe.clientSink?.headerReceived(undefined, true));
    pipe.deliverStatus(status, trailer);
  }
}

class ClientEnd implements ClientWire {
  readonly #pipe: InMemoryPipe;

  constructor(pipe: InMemoryPipe) {
    this.#pipe = pipe;
  }

  start(sink: ClientWireSink): void {
    this.#pipe.clientSink = sink;
  }

  send(payload: Uint8Array): Promise<void> | undefined {
    const pipe = this.#pipe;
    if (pipe.done || pipe.requestEnded) return undefined;
    later(() => pipe.deliverRequest(payload));
    return pipe.requests.wait;
  }

  sendLast(payload: Uint8Array): void {
    const pipe = this.#pipe;
    if (pipe.done || pipe.requestEnded) return;
    pipe.requestEnded = true;
    later(() => {
      if (pipe.deliverRequest(payload)) pipe.serverSink?.requestEnd();
    });
  }

  closeSend(): void {
    const pipe = this.#pipe;
    if (pipe.requestEnded) return;
    pipe.requestEnded = true;
    later(() => {
      if (!pipe.done) pipe.serverSink?.requestEnd();
    });
  }

  get sendClosed(): boolean {
    return this.#pipe.done || this.#pipe.requestEnded;
  }

  cancel(): void {
    const pipe = this.#pipe;
    if (pipe.done) return;
    pipe.done = true;
    later(() => pipe.serverSink?.closed(new RpcError(Code.CANCELLED, "the client cancelled the call")));
  }

  finished(): void {
    this.#pipe.requests.open();
    this.#pipe.responses.open();
  }

  pause(): void {
    this.#pipe.responses.close();
  }

  resume(): void {
    this.#pipe.responses.open();
  }

  header(): Metadata {
    return this.#pipe.header;
  }

  trailer(): Metadata {
    return this.#pipe.trailer;
  }
}

function later(fn: () => void): void {
  queueMicrotask(fn);
}

/** Metadata as the other side of a network would see it: reserved keys dropped, values copied. */
function wireCopy(md: Metadata | undefined): Metadata {
  if (!md || md.size === 0) return new Metadata();
  const headers: Record<string, string | string[]> = {};
  md.writeTo(headers);
  return metadataFromHeaders(headers);
}
