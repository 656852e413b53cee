import { Code, codeName } from "./code.js";
import { Metadata, type MetadataInit } from "../metadata/metadata.js";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { findDetails, type Detail } from "./details.js";

const brand = Symbol.for("tsgrpc.RpcError");
const noDetails: readonly Detail[] = Object.freeze([]);

/** Optional parts of an `RpcError`. */
export interface RpcErrorInit {
  /** Headers and trailers sent with (server) or received with (client) the status. */
  metadata?: MetadataInit;
  /**
   * Typed details (`createDetail(ErrorInfoSchema, {...})`), sent in
   * `grpc-status-details-bin` as a `google.rpc.Status`.
   */
  details?: readonly Detail[];
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
  /** Typed details sent with (server) or received with (client) the status; empty when none. */
  readonly details: readonly Detail[];

  constructor(code: Code, message = "", init?: RpcErrorInit) {
    const c = code === Code.OK ? Code.UNKNOWN : code;
    super(message ? `[${codeName(c)}] ${message}` : `[${codeName(c)}]`, init?.cause !== undefined ? { cause: init.cause } : undefined);
    this.code = c as Exclude<Code, Code.OK>;
    this.rawMessage = message;
    this.metadata = init?.metadata instanceof Metadata ? init.metadata : new Metadata(init?.metadata);
    this.details = init?.details ?? noDetails;
  }

  /**
   * The details of type `schema`, decoded; an empty list when there are none.
   *
   * ```ts
   * const [badRequest] = err.findDetails(BadRequestSchema);
   * for (const v of badRequest?.fieldViolations ?? []) console.log(v.field, v.description);
   * ```
   */
  findDetails<D extends DescMessage>(schema: D): MessageShape<D>[] {
    return this.details.length === 0 ? [] : findDetails(this.details, schema);
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
