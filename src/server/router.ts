import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { handlerStreamResponse, handlerUnaryResponse } from "./handler-response.js";
import type { CallFn, Interceptor, StreamRequest, UnaryRequest } from "../interceptor.js";
import { applyInterceptors } from "../interceptor.js";
import { toMessage } from "../internal/message-codec.js";
import type { DirectHandler, MethodEntry } from "./server-call.js";
import { bindToCall, propagationActive, runInCall } from "../internal/deadline-propagation.js";

/**
 * The methods a server answers, by `:path` (`/package.Service/Method`),
 * each with its handler wrapped in the interceptors that apply to it.
 */
export class Router {
  readonly #methods = new Map<string, MethodEntry>();
  readonly #services = new Map<string, DescService>();
  readonly #propagate: boolean;

  /** With `propagateCallContext`, handlers run inside their call's context, for the client calls they make. */
  constructor(options: { propagateCallContext?: boolean } = {}) {
    this.#propagate = options.propagateCallContext !== false;
  }

  add(service: DescService, impl: Record<string, unknown>, interceptors: readonly Interceptor[]): void {
    if (this.#services.has(service.typeName)) {
      throw new TypeError(`service ${service.typeName} is already registered: register each service once, with all its methods`);
    }
    for (const key of Object.keys(impl)) {
      if (!service.methods.some((m) => m.localName === key)) {
        throw new TypeError(`${service.typeName} has no method "${key}" (methods: ${service.methods.map((m) => m.localName).join(", ")})`);
      }
    }
    this.#services.set(service.typeName, service);
    for (const method of service.methods) {
      const fn = impl[method.localName];
      if (fn === undefined) continue;
      if (typeof fn !== "function") throw new TypeError(`${service.typeName}.${method.localName} must be a function`);
      const handler = (fn as DirectHandler).bind(impl);
      const streaming = method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming";
      // The handler with its result checked: what the chain's last step runs, and what a call
      // runs directly when no interceptor applies to the method.
      const run: DirectHandler = streaming
        ? (input, ctx) => {
            const out = handler(input, ctx);
            if (out === null || typeof out !== "object" || !(Symbol.asyncIterator in out)) {
              throw new TypeError(`${service.typeName}.${method.localName} must return an async iterable`);
            }
            return out;
          }
        : handler;
      const step: CallFn = streaming
        ? (req) => {
            try {
              return Promise.resolve(handlerStreamResponse(req.context!, run(req.message, req.context!) as AsyncIterable<never>));
            } catch (e) {
              return Promise.reject(e);
            }
          }
        : async (req) => handlerUnaryResponse(req.context!, toMessage(method.output, (await run(req.message, req.context!)) as never));
      const invoke = this.#inCallContext(applyInterceptors(step, interceptors), streaming);
      const direct = interceptors.length === 0 ? this.#directInCallContext(run, streaming) : undefined;
      this.#methods.set(`/${service.typeName}/${method.name}`, { method, invoke, handler: direct });
    }
  }

  /** A handler run directly, as part of its call like the chain (see `#inCallContext`). */
  #directInCallContext(run: DirectHandler, streaming: boolean): DirectHandler {
    if (!this.#propagate) return run;
    return (input, ctx) => {
      if (!propagationActive()) return run(input, ctx);
      const out = runInCall(ctx, () => run(input, ctx));
      return streaming ? bindToCall(ctx, out as AsyncIterable<unknown>) : out;
    };
  }

  /** Runs the chain, and the steps of a response stream, as part of the call (see deadline-propagation.ts). */
  #inCallContext(chain: CallFn, streaming: boolean): CallFn {
    if (!this.#propagate) return chain;
    if (!streaming) {
      return (req) => (propagationActive() ? runInCall(req.context!, () => chain(req)) : chain(req));
    }
    return (req) =>
      propagationActive()
        ? runInCall(req.context!, () => chain(req)).then((res) => (res.stream ? { ...res, message: bindToCall(req.context!, res.message) } : res))
        : chain(req);
  }

  find(path: string): MethodEntry | undefined {
    return this.#methods.get(path);
  }

  /** Why `path` has no handler: for the UNIMPLEMENTED message. */
  explainMissing(path: string): string {
    const slash = path.lastIndexOf("/");
    const service = path.slice(1, slash);
    if (slash <= 0) return `malformed method path "${path}"`;
    return this.#services.has(service) ? `method "${path.slice(slash + 1)}" of service "${service}" is not implemented` : `unknown service "${service}"`;
  }

  /** The registered services, in registration order. */
  services(): DescService[] {
    return [...this.#services.values()];
  }

  /** The methods that have a handler, in registration order. */
  methods(): DescMethod[] {
    return [...this.#methods.values()].map((e) => e.method);
  }
}

export type { UnaryRequest, StreamRequest };
