import type { DescMessage, DescMethod, DescService, Message, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { applyInterceptors, type CallFn, type Interceptor, type StreamResponse, type UnaryResponse } from "../interceptor.js";
import { Metadata } from "../metadata/metadata.js";
import { toMessage } from "../internal/message-codec.js";
import type { CallOptions } from "./call-options.js";
import type { Transport } from "./transport.js";
import { inheritCall } from "../internal/deadline-propagation.js";

type Init<D extends DescMessage> = MessageInitShape<D>;
type Out<D extends DescMessage> = MessageShape<D>;

/** The client function of one method, by its kind. */
export type ClientMethod<M extends Pick<DescMethod, "input" | "output" | "methodKind">> = M["methodKind"] extends "unary"
  ? (request: Init<M["input"]>, options?: CallOptions) => Promise<Out<M["output"]>>
  : M["methodKind"] extends "server_streaming"
    ? (request: Init<M["input"]>, options?: CallOptions) => AsyncIterable<Out<M["output"]>>
    : M["methodKind"] extends "client_streaming"
      ? (requests: AsyncIterable<Init<M["input"]>>, options?: CallOptions) => Promise<Out<M["output"]>>
      : (requests: AsyncIterable<Init<M["input"]>>, options?: CallOptions) => AsyncIterable<Out<M["output"]>>;

/**
 * A typed client: one function per method of the service, named by the
 * method's local name (`GetUser` → `getUser`). Unary and client-streaming
 * methods return promises; server-streaming and bidi methods return async
 * iterables, and leaving their `for await` early cancels the call.
 */
export type Client<S extends DescService> = S extends GenService<infer T extends GenServiceMethods>
  ? { [K in keyof T]: ClientMethod<T[K]> }
  : Record<string, (...args: never[]) => unknown>;

/** Options of a client. */
export interface ClientOptions {
  /** Interceptors for every call of this client, run inside the channel's. */
  interceptors?: Interceptor[];
}

/**
 * Creates a client of `service` whose calls go through `transport`: a
 * channel, or any other `Transport` (the in-memory ones of `tsgrpc/testing`).
 *
 * ```ts
 * const users = createClient(UserService, createChannel("http://127.0.0.1:50051"));
 * const { user } = await users.getUser({ id: "123" }, { timeoutMs: 5000 });
 * for await (const u of users.listUsers({ pageSize: 10 })) console.log(u.name);
 * ```
 */
export function createClient<S extends DescService>(service: S, transport: Transport, options: ClientOptions = {}): Client<S> {
  if (!transport || typeof transport.call !== "function") throw new TypeError("createClient: the second argument must be a channel or another Transport");
  const call: CallFn = transport.call.bind(transport);
  const chain = [...(transport.interceptors ?? []), ...(options.interceptors ?? [])];
  const base = applyInterceptors(call, chain);
  const client: Record<string, unknown> = {};
  for (const method of service.methods) {
    // Per-call interceptors run innermost, next to the transport.
    client[method.localName] = methodFn(method, (o) =>
      o?.interceptors?.length ? applyInterceptors(call, [...chain, ...o.interceptors]) : base,
    );
  }
  return client as Client<S>;
}

function methodFn(method: DescMethod, next: (o: CallOptions | undefined) => CallFn): unknown {
  switch (method.methodKind) {
    case "unary":
      return (init: Init<DescMessage>, o?: CallOptions) =>
        next(o)(requestOf(method, false, toMessage(method.input, init), o)).then((r) => (r as UnaryResponse).message);
    case "server_streaming":
      return (init: Init<DescMessage>, o?: CallOptions) =>
        lazyStream(() => next(o)(requestOf(method, false, toMessage(method.input, init), o)));
    case "client_streaming":
      return (inits: AsyncIterable<Init<DescMessage>>, o?: CallOptions) =>
        next(o)(requestOf(method, true, mapMessages(method.input, inits), o)).then((r) => (r as UnaryResponse).message);
    case "bidi_streaming":
      return (inits: AsyncIterable<Init<DescMessage>>, o?: CallOptions) =>
        lazyStream(() => next(o)(requestOf(method, true, mapMessages(method.input, inits), o)));
  }
}

function requestOf(method: DescMethod, stream: boolean, message: Message | AsyncIterable<Message>, o: CallOptions | undefined) {
  let deadline: number | undefined;
  if (o) {
    if (o.timeoutMs !== undefined) deadline = Date.now() + o.timeoutMs;
    if (o.deadline !== undefined) {
      const d = typeof o.deadline === "number" ? o.deadline : o.deadline.getTime();
      if (deadline === undefined || d < deadline) deadline = d;
    }
  }
  let signal = o?.signal;
  if (o?.propagate !== false) ({ deadline, signal } = inheritCall(deadline, signal));
  return {
    stream,
    method,
    side: "client",
    header: new Metadata(o?.metadata),
    signal,
    deadline,
    context: undefined,
    options: o,
    message,
  } as Parameters<CallFn>[0];
}

/**
 * Turns request inits into messages as they are read. Not a generator: a
 * generator's `return()` waits behind a pending `next()`, and the transport
 * must be able to stop a source that is still waiting for its producer.
 */
function mapMessages(schema: DescMessage, inits: AsyncIterable<Init<DescMessage>>): AsyncIterable<Message> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<Message> {
      const it = inits[Symbol.asyncIterator]();
      const done: IteratorResult<Message> = { done: true, value: undefined };
      return {
        next: () => it.next().then((r): IteratorResult<Message> => (r.done ? done : { done: false, value: toMessage(schema, r.value) })),
        return: () => Promise.resolve(it.return?.()).then(() => done),
      };
    },
  };
}

/** Starts the call on the first `next()`, so an iterable never read never opens a stream. */
function lazyStream(start: () => Promise<UnaryResponse | StreamResponse>): AsyncIterable<Message> {
  return {
    [Symbol.asyncIterator]() {
      let inner: AsyncIterator<Message> | undefined;
      let starting: Promise<AsyncIterator<Message>> | undefined;
      const open = () =>
        (starting ??= start().then((r) => (inner = (r as StreamResponse).message[Symbol.asyncIterator]())));
      return {
        // Not async: once open, each message costs the inner iterator's promise only.
        next() {
          return inner ? inner.next() : open().then((it) => it.next());
        },
        async return() {
          if (!inner && !starting) return { done: true, value: undefined };
          const it = inner ?? (await open().catch(() => undefined));
          return (await it?.return?.()) ?? { done: true, value: undefined };
        },
      };
    },
  };
}
