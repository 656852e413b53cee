import { Code, codeName } from "./code.js";
import { Metadata, type MetadataInit } from "../metadata/metadata.js";

const brand = Symbol.for("tsgrpc.RpcError");

/** Optional parts of an `RpcError`. */
export interface RpcErrorInit {
  /** Headers and trailers sent with (server) or received with (client) the status. */
  metadata?: MetadataInit;
  /** The underlying reason, kept for logs; never sent on the wire. */
  cause?: unknown;
}

/**
 * The one error type of every failed call, on both sides.
 *
 * A handler throws it to answer with a status; a client call rejects with
 * it. `message` reads `[NOT_FOUND] user 7 not found`; `rawMessage` is the
 * text that travels in `grpc-message`. Its code is never `Code.OK`.
 *
 * ```ts
 * throw new RpcError(Code.NOT_FOUND, `user ${req.id} not found`);
 * ```
 */
export class RpcError extends Error {
  override name = "RpcError";
  readonly code: Exclude<Code, Code.OK>;
  readonly rawMessage: string;
  readonly metadata: Metadata;

  constructor(code: Code, message = "", init?: RpcErrorInit) {
    const c = code === Code.OK ? Code.UNKNOWN : code;
    super(message ? `[${codeName(c)}] ${message}` : `[${codeName(c)}]`, init?.cause !== undefined ? { cause: init.cause } : undefined);
    this.code = c as Exclude<Code, Code.OK>;
    this.rawMessage = message;
    this.metadata = init?.metadata instanceof Metadata ? init.metadata : new Metadata(init?.metadata);
  }

  /**
   * Turns anything thrown into an `RpcError`: an `RpcError` as it is, an
   * `AbortError` as CANCELLED, a `TimeoutError` as DEADLINE_EXCEEDED, anything
   * else as `fallback` (UNKNOWN) with its text kept only as `cause`.
   */
  static from(reason: unknown, fallback: Code = Code.UNKNOWN): RpcError {
    if (reason instanceof RpcError) return reason;
    if (reason instanceof Error || (typeof reason === "object" && reason !== null && "name" in reason)) {
      const name = (reason as { name: unknown }).name;
      if (name === "AbortError") return new RpcError(Code.CANCELLED, "operation was aborted", { cause: reason });
      if (name === "TimeoutError") return new RpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded", { cause: reason });
    }
    return new RpcError(fallback, reason instanceof Error ? reason.message : String(reason), { cause: reason });
  }

  /** `instanceof` that also holds across duplicate copies of the package. */
  static override [Symbol.hasInstance](v: unknown): boolean {
    return typeof v === "object" && v !== null && (v as Record<symbol, unknown>)[brand] === true;
  }

  /** @internal */
  get [brand](): true {
    return true;
  }
}
