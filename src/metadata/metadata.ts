import {
  decodeBinaryValues,
  encodeBinaryValue,
  isBinaryKey,
  isValidAsciiValue,
  isValidKey,
} from "./binary-header.js";

/** A metadata value: a string for ASCII keys, bytes for keys ending in `-bin`. */
export type MetadataValue = string | Uint8Array;

/**
 * The value type of metadata key `K`: `Uint8Array` for a key ending in
 * `-bin` (in any case), `string` for any other literal key, and
 * `MetadataValue` when the key is only known as a `string` (or a pattern
 * such as `` `x-${string}` ``, which may or may not end in `-bin`).
 *
 * ```ts
 * md.get("x-trace");     // string | undefined
 * md.get("x-trace-bin"); // Uint8Array | undefined
 * md.get(key);           // MetadataValue | undefined, for key: string
 * ```
 */
export type MetadataValueOf<K extends string> = K extends unknown
  ? Lowercase<K> extends `${string}-bin`
    ? Uint8Array
    : // Only a literal is known not to end in -bin: a key type with infinitely
      // many members (string, a pattern) maps to an index signature, a literal to a property.
      {} extends Record<K, true>
      ? MetadataValue
      : string
  : never;

/**
 * What every API that takes metadata accepts: a `Metadata`, an object of
 * keys to a value or a list of values, or `[key, value]` pairs.
 */
export type MetadataInit =
  | Metadata
  | Record<string, MetadataValue | readonly MetadataValue[]>
  | Iterable<readonly [string, MetadataValue]>;

/**
 * gRPC metadata: an ordered multimap of lowercase keys. Keys ending in
 * `-bin` hold `Uint8Array`s (base64 on the wire), all others printable
 * ASCII strings. Keys and values are validated when set, so a bad header
 * fails where it is written, with a `TypeError`, not later on the wire.
 */
export class Metadata implements Iterable<[string, MetadataValue]> {
  readonly #map = new Map<string, MetadataValue[]>();

  constructor(init?: MetadataInit) {
    if (init !== undefined) this.merge(init);
  }

  /** The first value of `key`, or undefined: a `Uint8Array` for a `-bin` key, else a string. */
  get<K extends string>(key: K): MetadataValueOf<K> | undefined {
    return this.#map.get(key.toLowerCase())?.[0] as MetadataValueOf<K> | undefined;
  }

  /** Every value of `key`, in order (a copy). */
  getAll<K extends string>(key: K): MetadataValueOf<K>[] {
    return (this.#map.get(key.toLowerCase())?.slice() ?? []) as MetadataValueOf<K>[];
  }

  has(key: string): boolean {
    return this.#map.has(key.toLowerCase());
  }

  /** Replaces every value of `key` with `value` (a `Uint8Array` for a `-bin` key, else a string). */
  set<K extends string>(key: K, value: MetadataValueOf<K>): this {
    const k = checkEntry(key, value);
    this.#map.set(k, [value]);
    return this;
  }

  /** Adds `value` after the values `key` already has (a `Uint8Array` for a `-bin` key, else a string). */
  append<K extends string>(key: K, value: MetadataValueOf<K>): this {
    const k = checkEntry(key, value);
    const list = this.#map.get(k);
    if (list) list.push(value);
    else this.#map.set(k, [value]);
    return this;
  }

  delete(key: string): boolean {
    return this.#map.delete(key.toLowerCase());
  }

  /** Appends every entry of `init`. */
  merge(init: MetadataInit): this {
    if (init instanceof Metadata) {
      for (const [k, v] of init) this.append(k, v);
    } else if (Symbol.iterator in init) {
      for (const [k, v] of init as Iterable<readonly [string, MetadataValue]>) this.append(k, v);
    } else {
      for (const [k, v] of Object.entries(init)) {
        if (Array.isArray(v)) for (const item of v) this.append(k, item);
        else this.append(k, v as MetadataValue);
      }
    }
    return this;
  }

  /** The number of distinct keys. */
  get size(): number {
    return this.#map.size;
  }

  keys(): IterableIterator<string> {
    return this.#map.keys();
  }

  *[Symbol.iterator](): Iterator<[string, MetadataValue]> {
    for (const [k, list] of this.#map) for (const v of list) yield [k, v];
  }

  /** Plain object for logs: binary values as base64. */
  toJSON(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [k, list] of this.#map) {
      out[k] = list.map((v) => (typeof v === "string" ? v : encodeBinaryValue(v)));
    }
    return out;
  }

  /**
   * Adds one header as received from the wire. What gRPC does not allow
   * (`doc/PROTOCOL-HTTP2.md`, Custom-Metadata) is dropped, as gRPC's
   * implementations do: a key outside `0-9 a-z _ - .`, an ASCII value
   * outside printable ASCII (Node hands non-ASCII bytes over as Latin-1),
   * a `-bin` value that is not base64. So everything received can be set
   * or sent again. @internal
   */
  addFromWire(key: string, value: string | readonly string[]): void {
    if (!isValidKey(key)) return;
    if (isBinaryKey(key)) {
      const texts = typeof value === "string" ? [value] : value;
      for (const text of texts) {
        const decoded = decodeBinaryValues(text);
        if (decoded) for (const d of decoded) this.#push(key, d);
      }
    } else if (typeof value === "string") {
      if (isValidAsciiValue(value)) this.#push(key, value);
    } else {
      for (const v of value) if (isValidAsciiValue(v)) this.#push(key, v);
    }
  }

  /** Writes the entries into an HTTP/2 header object. @internal */
  writeTo(headers: Record<string, string | string[]>): void {
    if (this.#map.size === 0) return;
    for (const [k, list] of this.#map) {
      if (isReservedKey(k) && k !== retryPushbackKey) continue;
      if (list.length === 1) {
        const v = list[0]!;
        headers[k] = typeof v === "string" ? v : encodeBinaryValue(v);
      } else {
        headers[k] = list.map((v) => (typeof v === "string" ? v : encodeBinaryValue(v)));
      }
    }
  }

  #push(key: string, value: MetadataValue): void {
    const list = this.#map.get(key);
    if (list) list.push(value);
    else this.#map.set(key, [value]);
  }
}

function checkEntry(key: string, value: MetadataValue): string {
  const k = key.toLowerCase();
  if (!isValidKey(k)) {
    throw new TypeError(`metadata key "${key}" is invalid: use lowercase 0-9 a-z _ - .`);
  }
  if (isBinaryKey(k)) {
    if (!(value instanceof Uint8Array)) {
      throw new TypeError(`metadata key "${k}" ends in -bin: its value must be a Uint8Array`);
    }
  } else if (typeof value !== "string") {
    throw new TypeError(`metadata key "${k}" takes a string value; binary values need a key ending in -bin`);
  } else if (!isValidAsciiValue(value)) {
    throw new TypeError(`metadata value of "${k}" must be printable ASCII (use a -bin key for other bytes)`);
  }
  return k;
}

/**
 * Headers that gRPC or HTTP/2 own: they never enter user-visible metadata
 * and user metadata never overrides them.
 */
const reservedKeys = new Set([
  "content-type",
  "te",
  "host",
  "connection",
  "transfer-encoding",
  "upgrade",
  "grpc-status",
  "grpc-message",
  "grpc-status-details-bin",
  "grpc-timeout",
  "grpc-encoding",
  "grpc-accept-encoding",
  "grpc-previous-rpc-attempts",
  "grpc-retry-pushback-ms",
]);

/**
 * Retry metadata of gRFC A6 that the library sets but applications read: a
 * server sees `grpc-previous-rpc-attempts` in a retried call's metadata,
 * and sets `grpc-retry-pushback-ms` in its trailers (an error's metadata)
 * to ask the client to retry after that many milliseconds, or, negative,
 * not at all.
 */
const retryPushbackKey = "grpc-retry-pushback-ms";
const visibleRetryKeys = new Set(["grpc-previous-rpc-attempts", retryPushbackKey]);

/** @internal */
export function isReservedKey(key: string): boolean {
  return key.charCodeAt(0) === 58 /* : */ || reservedKeys.has(key);
}

/** Builds user-visible metadata from a received HTTP/2 header object. @internal */
export function metadataFromHeaders(headers: Record<string, string | string[] | number | undefined>): Metadata {
  const md = new Metadata();
  for (const key in headers) {
    if (isReservedKey(key) && !visibleRetryKeys.has(key)) continue;
    const value = headers[key];
    if (value === undefined || typeof value === "number") continue;
    md.addFromWire(key, value);
  }
  return md;
}
