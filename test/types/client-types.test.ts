// Type tests: `npm run typecheck` fails if the mapped client and server
// types infer wrongly. The @ts-expect-error lines must stay errors.
import { test } from "node:test";
import type { Client, ServiceImpl } from "../../src/index.js";
import type { EchoResponse, EchoService } from "../gen/tsgrpc/test/v1/echo_pb.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_: T): void {}

declare const client: Client<typeof EchoService>;

// Unary: init in, promise of message out.
expectType<Equal<ReturnType<typeof client.unary>, Promise<EchoResponse>>>(true);
// Server streaming: an async iterable of messages.
expectType<Equal<ReturnType<typeof client.serverStream>, AsyncIterable<EchoResponse>>>(true);
// Client streaming: a promise.
expectType<Equal<ReturnType<typeof client.clientStream>, Promise<EchoResponse>>>(true);
// Bidi: an async iterable.
expectType<Equal<ReturnType<typeof client.bidi>, AsyncIterable<EchoResponse>>>(true);

async function misuse(): Promise<void> {
  // @ts-expect-error: unknown field
  await client.unary({ nope: 1 });
  // @ts-expect-error: wrong field type
  await client.unary({ responseCount: "3" });
  // @ts-expect-error: no such method
  await client.missing({});
  // @ts-expect-error: streaming methods take an async iterable
  await client.clientStream({ payload: new Uint8Array() });
  // @ts-expect-error: unknown call option
  await client.unary({}, { timeout: 5 });
}

const impl: ServiceImpl<typeof EchoService> = {
  async unary(req) {
    const n: number = req.responseCount;
    return { index: n };
  },
  async *serverStream(req) {
    yield { index: req.responseCount };
  },
  // @ts-expect-error: a unary handler's result must be the output message's init
  async clientStream() {
    return { notAField: true };
  },
};

test("type tests compile (checked by npm run typecheck)", () => {
  void misuse;
  void impl;
});
