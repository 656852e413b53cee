// Type tests for `Metadata`: `npm run typecheck` fails if a key's value type
// infers wrongly. The @ts-expect-error lines must stay errors.
import { test } from "node:test";
import { Metadata, type MetadataValue, type MetadataValueOf } from "../../src/index.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_: T): void {}

const md = new Metadata();

// A literal ASCII key reads a string, a literal -bin key bytes (in any case: keys are lowercased).
expectType<Equal<ReturnType<typeof md.get<"x-trace">>, string | undefined>>(true);
expectType<Equal<ReturnType<typeof md.get<"x-trace-bin">>, Uint8Array | undefined>>(true);
expectType<Equal<ReturnType<typeof md.get<"X-Trace-BIN">>, Uint8Array | undefined>>(true);
expectType<Equal<ReturnType<typeof md.getAll<"x-trace">>, string[]>>(true);
expectType<Equal<ReturnType<typeof md.getAll<"x-trace-bin">>, Uint8Array[]>>(true);

// A key of unknown shape reads either: the type must not promise more than it knows.
expectType<Equal<MetadataValueOf<string>, MetadataValue>>(true);
expectType<Equal<MetadataValueOf<`x-${string}`>, MetadataValue>>(true);
expectType<Equal<MetadataValueOf<Lowercase<string>>, MetadataValue>>(true);
expectType<Equal<MetadataValueOf<string & { readonly brand: true }>, MetadataValue>>(true);
// ...unless every key of the type ends in -bin.
expectType<Equal<MetadataValueOf<`${string}-bin`>, Uint8Array>>(true);
// A union of keys reads the union of their values.
expectType<Equal<MetadataValueOf<"x-a" | "x-b-bin">, string | Uint8Array>>(true);

function reads(key: string): void {
  const v = md.get(key);
  expectType<Equal<typeof v, MetadataValue | undefined>>(true);
  // Without a check, an unknown key's value is not a string.
  // @ts-expect-error: MetadataValue is not string
  const s: string | undefined = md.get(key);
  void s;
}

// Inference through a generic helper keeps the literal.
function firstOf<K extends string>(m: Metadata, key: K): MetadataValueOf<K> | undefined {
  return m.get(key);
}
expectType<Equal<ReturnType<typeof firstOf<"x-id-bin">>, Uint8Array | undefined>>(true);

// Writing: a -bin key takes bytes, any other literal key a string.
md.set("x-trace", "abc").append("x-trace", "def");
md.set("x-trace-bin", new Uint8Array([1])).append("X-Trace-Bin", new Uint8Array([2]));
declare const someValue: MetadataValue;

// Never called: these would throw TypeErrors at run time, and must not compile.
function misuse(): void {
  // @ts-expect-error: an ASCII key takes a string
  md.set("x-trace", new Uint8Array([1]));
  // @ts-expect-error: a -bin key takes a Uint8Array
  md.append("x-trace-bin", "abc");
  // @ts-expect-error: a value of either kind does not fit a key known to be ASCII
  md.set("x-trace", someValue);
}

function writes(key: string, value: MetadataValue): void {
  // A key of unknown shape takes either (checked when set).
  md.set(key, value).append(key, "text").append(key, new Uint8Array());
}

test("metadata type tests compile (checked by npm run typecheck)", () => {
  void reads;
  void writes;
  void misuse;
});
