import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { handlerStreamResponse, handlerUnaryResponse } from "./handler-response.js";
import type { CallFn, Interceptor, StreamRequest, UnaryRequest } from "../interceptor.js";
import { applyInterceptors } from "../interceptor.js";
import { toMessage } from "../internal/message-codec.js";
import type { MethodEntry } from "./server-call.js";
import type { HandlerContext } from "./handler-context.js";
import { bindToCall, propagationActive, runInCall } from "../internal/deadline-propagation.js";

type AnyImpl = (input: unknown, ctx: HandlerContext) => unknown;

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
      const handler = (fn as AnyImpl).bind(impl);
      let step: CallFn;
      switch (method.methodKind) {
        case "unary":
        case "client_streaming":
          step = async (req) => {
            const ctx = req.context!;
            const out = await handler(req.message, ctx);
            return handlerUnaryResponse(ctx, toMessage(method.output, out as never));
          };
          break;
        default:
          step = (req) => {
            const ctx = req.context!;
            const out = handler(req.message, ctx) as AsyncIterable<never>;
            if (out === null || typeof out !== "object" || !(Symbol.asyncIterator in out)) {
              return Promise.reject(new TypeError(`${service.typeName}.${method.localName} must return an async iterable`));
            }
            return Promise.resolve(handlerStreamResponse(ctx, out));
          };
      }
      const invoke = this.#inCallContext(applyInterceptors(step, interceptors), method.methodKind);
      const direct = interceptors.length === 0 ? { run: handler, propagate: this.#propagate } : undefined;
      this.#methods.set(`/${service.typeName}/${method.name}`, { method, invoke, handler: direct });
    }
  }

  /** Runs the chain, and the steps of a response stream, as part of the call (see deadline-propagation.ts). */
  #inCallContext(chain: CallFn, kind: string): CallFn {
    if (!this.#propagate) return chain;
    if (kind !== "server_streaming" && kind !== "bidi_streaming") {
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
