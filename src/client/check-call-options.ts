import type { DescMethod } from "@bufbuild/protobuf";
import { Metadata, isReservedKey, type MetadataInit } from "../metadata/metadata.js";
import { checkCompressionName, supportedEncodings } from "../internal/compression-name.js";
import { checkByteLimit } from "../internal/limits.js";
import type { CallOptions } from "./call-options.js";

/**
 * Validates the options of one call. They arrive with the call, so a
 * mistake in them is the caller's and fails only that call: a `TypeError`
 * (misuse, never an `RpcError`) naming the method and the option, thrown
 * here so that the client method can reject its promise (or its
 * iterator's first `next()`) with it before anything is sent.
 *
 * Metadata contents are checked where the header is built (`callHeader`),
 * so that a call pays for one pass over its metadata, not two.
 */
export function checkCallOptions(method: DescMethod, o: CallOptions | undefined): void {
  if (o === undefined) return;
  if (typeof o !== "object" || o === null) throw misuse(method, `call options must be an object, got ${describe(o)}`);
  const { timeoutMs, deadline } = o;
  if (timeoutMs !== undefined && (typeof timeoutMs !== "number" || Number.isNaN(timeoutMs))) {
    throw misuse(method, `timeoutMs must be a number of milliseconds (Infinity for none), got ${describe(timeoutMs)}`);
  }
  if (deadline !== undefined) {
    const ms = deadline instanceof Date ? deadline.getTime() : typeof deadline === "number" ? deadline : undefined;
    if (ms === undefined || Number.isNaN(ms)) {
      throw misuse(method, `deadline must be a valid Date or epoch milliseconds, got ${deadline instanceof Date ? "an invalid Date" : describe(deadline)}`);
    }
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw misuse(method, `signal must be an AbortSignal, got ${describe(o.signal)}`);
  }
  if (o.metadata !== undefined && (typeof o.metadata !== "object" || o.metadata === null)) {
    throw misuse(method, `metadata must be a Metadata, an object or [key, value] pairs, got ${describe(o.metadata)}`);
  }
  if (o.waitForReady !== undefined && typeof o.waitForReady !== "boolean") {
    throw misuse(method, `waitForReady must be a boolean, got ${describe(o.waitForReady)}`);
  }
  checkFunction(method, o.onHeader, "onHeader");
  checkFunction(method, o.onTrailer, "onTrailer");
  checkFunction(method, o.compressMessage, "compressMessage");
  checkFunction(method, o.callCredentials, "callCredentials");
  if (o.interceptors !== undefined && (!Array.isArray(o.interceptors) || o.interceptors.some((i) => typeof i !== "function"))) {
    throw misuse(method, "interceptors must be an array of functions");
  }
  if (o.propagate !== undefined && typeof o.propagate !== "boolean") {
    throw misuse(method, `propagate must be a boolean, got ${describe(o.propagate)}`);
  }
  try {
    if (o.maxReceiveBytes !== undefined) checkByteLimit(o.maxReceiveBytes, "maxReceiveBytes", 0);
    if (o.maxSendBytes !== undefined) checkByteLimit(o.maxSendBytes, "maxSendBytes", 0);
  } catch (e) {
    throw misuse(method, (e as Error).message);
  }
  if (o.compression !== undefined) {
    try {
      checkCompressionName(o.compression, "");
    } catch {
      throw misuse(method, `compression must be one of identity, ${supportedEncodings.join(", ")}; got ${describe(o.compression)}`);
    }
  }
}

/**
 * The request header of a call, from its `metadata` option: a key or value
 * that `Metadata` refuses, or a key that gRPC owns (which would otherwise be
 * dropped without a word), is a `TypeError` naming the method.
 */
export function callHeader(method: DescMethod, init: MetadataInit | undefined): Metadata {
  if (init === undefined) return new Metadata();
  let header: Metadata;
  try {
    header = new Metadata(init);
  } catch (e) {
    throw misuse(method, (e as Error).message, e);
  }
  for (const key of header.keys()) {
    if (isReservedKey(key)) throw misuse(method, `metadata key "${key}" is reserved for gRPC${reservedHint[key] ?? ""}`);
  }
  return header;
}

/** The requests of a client-streaming or bidi call must be an `AsyncIterable`. */
export function checkRequests(method: DescMethod, requests: unknown): void {
  const iterator = (requests as { [Symbol.asyncIterator]?: unknown } | null | undefined)?.[Symbol.asyncIterator];
  if (typeof iterator !== "function") throw misuse(method, `the requests must be an AsyncIterable, got ${describe(requests)}`);
}

/**
 * A request init that cannot be made into the method's input message
 * (`create()` threw) is misuse too.
 */
export function badRequest(method: DescMethod, e: unknown): TypeError {
  return misuse(method, `the request is not a valid ${method.input.typeName}: ${e instanceof Error ? e.message : String(e)}`, e);
}

const reservedHint: Record<string, string> = {
  "grpc-timeout": " (use the timeoutMs or deadline option)",
  "grpc-encoding": " (use the compression option)",
};

function checkFunction(method: DescMethod, value: unknown, name: string): void {
  if (value !== undefined && typeof value !== "function") throw misuse(method, `${name} must be a function, got ${describe(value)}`);
}

function misuse(method: DescMethod, message: string, cause?: unknown): TypeError {
  return new TypeError(`${method.parent.name}.${method.name}: ${message}`, cause === undefined ? undefined : { cause });
}

/** A value, briefly, for a message: never its whole contents. */
function describe(value: unknown): string {
  switch (typeof value) {
    case "string":
      return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
    case "bigint":
      return `${value}n`;
    case "function":
      return "a function";
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) return "an array";
      const name: unknown = (value as { constructor?: { name?: unknown } }).constructor?.name;
      return typeof name === "string" && name !== "" && name !== "Object" ? `an instance of ${name}` : "an object";
    }
    default:
      return String(value);
  }
}
