import type { Message } from "@bufbuild/protobuf";
import type { Interceptor, StreamResponse } from "../interceptor.js";
import { Code, codeName } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";

/** What `createLoggingInterceptor` reports for each call, once, when it ends. */
export interface CallLogEntry {
  /** The side the interceptor runs on. */
  readonly side: "client" | "server";
  /** `package.Service`. */
  readonly service: string;
  /** The method's name as in the proto (`GetUser`). */
  readonly method: string;
  readonly kind: "unary" | "server_streaming" | "client_streaming" | "bidi_streaming";
  /** The outcome: `Code.OK`, or the error's code. */
  readonly code: Code;
  /** `codeName(code)`: `"OK"`, `"NOT_FOUND"`, … */
  readonly status: string;
  /** From the call's start in this interceptor to its end, in milliseconds. */
  readonly durationMs: number;
  /** The error of a failed call. */
  readonly error: RpcError | undefined;
  /** Server side: the client's address. */
  readonly peer: string | undefined;
}

/** Options of `createLoggingInterceptor`. */
export interface LoggingInterceptorOptions {
  /**
   * Receives one entry per call when it ends. Default: nothing, so that a
   * library never prints on its own; pass e.g.
   * `(e) => console.log(`${e.service}/${e.method} ${e.status} ${e.durationMs.toFixed(1)}ms`)`.
   */
  log?: (entry: CallLogEntry) => void;
}

/**
 * An interceptor for clients and servers that reports, for every call, its
 * method, status code and duration.
 *
 * A call with a response stream ends when that stream does: when it has been
 * read to the end (OK), fails (its code), or is abandoned early (CANCELLED on
 * a client; on a server, the reason the call was ended). The status is the
 * one the chain sees; a failure after it, such as a response over the
 * server's send limit, is not reflected.
 *
 * ```ts
 * const logging = createLoggingInterceptor({ log: (e) => logger.info(e) });
 * const server = createServer({ interceptors: [logging] });
 * const channel = createChannel(url, { interceptors: [logging] });
 * ```
 */
export function createLoggingInterceptor(options: LoggingInterceptorOptions = {}): Interceptor {
  const log = options.log;
  if (log !== undefined && typeof log !== "function") throw new TypeError("createLoggingInterceptor: log must be a function");
  if (!log) return (next) => next;
  return (next) => async (req) => {
    const started = performance.now();
    let logged = false;
    const report = (error: unknown) => {
      if (logged) return;
      logged = true;
      const rpcError = error === undefined ? undefined : RpcError.from(error);
      const code = rpcError ? rpcError.code : Code.OK;
      try {
        log({
          side: req.side,
          service: req.method.parent.typeName,
          method: req.method.name,
          kind: req.method.methodKind,
          code,
          status: codeName(code),
          durationMs: performance.now() - started,
          error: rpcError,
          peer: req.context?.peer,
        });
      } catch {
        // A failing logger must not fail the call.
      }
    };
    let res;
    try {
      res = await next(req);
    } catch (e) {
      report(e);
      throw e;
    }
    if (!res.stream) {
      report(undefined);
      return res;
    }
    const early = () =>
      req.context?.signal.aborted && req.context.signal.reason instanceof RpcError
        ? req.context.signal.reason
        : new RpcError(Code.CANCELLED, "the response stream was abandoned");
    const watched: StreamResponse = { ...res, message: watch(res.message, report, early) };
    return watched;
  };
}

/** Passes `messages` through and reports how the stream ended. */
function watch(messages: AsyncIterable<Message>, report: (error: unknown) => void, early: () => RpcError): AsyncIterable<Message> {
  return {
    [Symbol.asyncIterator]() {
      const it = messages[Symbol.asyncIterator]();
      return {
        async next() {
          let r: IteratorResult<Message>;
          try {
            r = await it.next();
          } catch (e) {
            report(e);
            throw e;
          }
          if (r.done) report(undefined);
          return r;
        },
        async return(value?: unknown) {
          report(early());
          return (await it.return?.(value)) ?? { done: true, value: undefined };
        },
      };
    },
  };
}
