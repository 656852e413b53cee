import type { DescMessage, DescMethod, DescService, Message, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { applyInterceptors, type CallFn, type Interceptor, type StreamResponse, type UnaryResponse } from "../interceptor.js";
import { toMessage } from "../internal/message-codec.js";
import type { CallOptions } from "./call-options.js";
import type { Transport } from "./transport.js";
import { inheritCall } from "../internal/call-scope.js";
import { badRequest, callHeader, checkCallOptions, checkRequests } from "./check-call-options.js";
import { rethrowWithCallerStack } from "../status/caller-stack.js";

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

// Misuse (bad options, a request that is no message) never throws from the
// client method: the call's promise, or its iterator's first next(), rejects
// with the TypeError, and nothing is sent. A failed call's RpcError gets the
// caller's stack (status/caller-stack.ts).
function methodFn(method: DescMethod, next: (o: CallOptions | undefined) => CallFn): unknown {
  switch (method.methodKind) {
    case "unary":
      return (init: Init<DescMessage>, o?: CallOptions) => {
        let call;
        try {
          checkCallOptions(method, o);
          call = next(o)(requestOf(method, false, requestMessage(method, init), o));
        } catch (e) {
          return Promise.reject(e);
        }
        return call.then(responseMessage, rethrowWithCallerStack);
      };
    case "server_streaming":
      return (init: Init<DescMessage>, o?: CallOptions) =>
        lazyStream(() => {
          checkCallOptions(method, o);
          return next(o)(requestOf(method, false, requestMessage(method, init), o));
        });
    case "client_streaming":
      return (inits: AsyncIterable<Init<DescMessage>>, o?: CallOptions) => {
        let call;
        try {
          checkCallOptions(method, o);
          checkRequests(method, inits);
          call = next(o)(requestOf(method, true, mapMessages(method, inits), o));
        } catch (e) {
          return Promise.reject(e);
        }
        return call.then(responseMessage, rethrowWithCallerStack);
      };
    case "bidi_streaming":
      return (inits: AsyncIterable<Init<DescMessage>>, o?: CallOptions) =>
        lazyStream(() => {
          checkCallOptions(method, o);
          checkRequests(method, inits);
          return next(o)(requestOf(method, true, mapMessages(method, inits), o));
        });
  }
}

function responseMessage(r: UnaryResponse | StreamResponse): Message {
  return (r as UnaryResponse).message;
}

function requestMessage(method: DescMethod, init: Init<DescMessage>): Message {
  try {
    return toMessage(method.input, init);
  } catch (e) {
    throw badRequest(method, e);
  }
}

function requestOf(method: DescMethod, stream: boolean, message: Message | AsyncIterable<Message>, o: CallOptions | undefined) {
  let deadline: number | undefined;
  if (o) {
    // Infinity is no deadline; a negative timeout one that has passed (DEADLINE_EXCEEDED).
    if (o.timeoutMs !== undefined && o.timeoutMs !== Infinity) deadline = Date.now() + o.timeoutMs;
    if (o.deadline !== undefined) {
      const d = typeof o.deadline === "number" ? o.deadline : o.deadline.getTime();
      if (d !== Infinity && (deadline === undefined || d < deadline)) deadline = d;
    }
  }
  let signal = o?.signal;
  if (o?.propagate !== false) ({ deadline, signal } = inheritCall(deadline, signal));
  return {
    stream,
    method,
    side: "client",
    header: callHeader(method, o?.metadata),
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
function mapMessages(method: DescMethod, inits: AsyncIterable<Init<DescMessage>>): AsyncIterable<Message> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<Message> {
      const it = inits[Symbol.asyncIterator]();
      const done: IteratorResult<Message> = { done: true, value: undefined };
      return {
        next: () => it.next().then((r): IteratorResult<Message> => (r.done ? done : { done: false, value: requestMessage(method, r.value) })),
        return: () => Promise.resolve(it.return?.()).then(() => done),
      };
    },
  };
}

/**
 * Starts the call on the first `next()`, so an iterable never read never
 * opens a stream; what `start` throws rejects that `next()`.
 */
function lazyStream(start: () => Promise<UnaryResponse | StreamResponse>): AsyncIterable<Message> {
  return {
    [Symbol.asyncIterator]() {
      let inner: AsyncIterator<Message> | undefined;
      let starting: Promise<AsyncIterator<Message>> | undefined;
      const open = () =>
        (starting ??= startSafely(start).then((r) => (inner = (r as StreamResponse).message[Symbol.asyncIterator]())));
      return {
        // Not async: once open, each message costs the inner iterator's promise only.
        // (A failure after the start reaches the caller through the transport's queue.)
        next() {
          return inner ? inner.next() : open().then(firstNext, rethrowWithCallerStack);
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

function startSafely(start: () => Promise<UnaryResponse | StreamResponse>): Promise<UnaryResponse | StreamResponse> {
  try {
    return start();
  } catch (e) {
    return Promise.reject(e);
  }
}

function firstNext(it: AsyncIterator<Message>): Promise<IteratorResult<Message>> {
  return it.next();
}
