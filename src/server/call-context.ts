import type { DescMethod } from "@bufbuild/protobuf";
import { createContextValues, type ContextValues } from "../context-values.js";
import type { PeerTlsInfo } from "../credentials/peer-tls.js";
import type { Metadata } from "../metadata/metadata.js";
import type { HandlerContext } from "./handler-context.js";
import type { ServerCall } from "./server-call.js";

/**
 * The `HandlerContext` of one call: what a handler (and a server
 * interceptor) may see and do, and nothing of the call's machinery.
 */
export class CallContext implements HandlerContext {
  readonly #call: ServerCall;
  #values: ContextValues | undefined;

  constructor(call: ServerCall) {
    this.#call = call;
  }

  get method(): DescMethod {
    return this.#call.method;
  }

  get metadata(): Metadata {
    return this.#call.metadata;
  }

  get deadline(): number | undefined {
    return this.#call.deadline;
  }

  timeRemainingMs(): number | undefined {
    const deadline = this.#call.deadline;
    return deadline === undefined ? undefined : Math.max(0, deadline - Date.now());
  }

  get signal(): AbortSignal {
    return this.#call.signal;
  }

  get peer(): string {
    return this.#call.wire.peer;
  }

  get tls(): PeerTlsInfo | undefined {
    return this.#call.wire.tls;
  }

  get values(): ContextValues {
    return (this.#values ??= createContextValues());
  }

  get responseHeader(): Metadata {
    return this.#call.responseHeader;
  }

  get responseTrailer(): Metadata {
    return this.#call.responseTrailer;
  }

  sendHeader(): void {
    this.#call.sendHeader();
  }

  setResponseCompression(encoding: "identity" | "gzip" | "deflate"): void {
    this.#call.setResponseCompression(encoding);
  }

  setMessageCompression(enabled: boolean): void {
    this.#call.setMessageCompression(enabled);
  }

  get requestCompressed(): boolean {
    return this.#call.requestCompressed;
  }
}
