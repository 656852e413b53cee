// The CLI's reflection client asks each question once on one stream, v1 or
// (for a server without it) v1alpha, counted at the server.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { DescService } from "@bufbuild/protobuf";
import { createChannel, createServer, Metadata } from "../index.js";
import { createReflectionService, ServerReflectionV1Alpha } from "../reflection/index.js";
import { EchoService } from "../../test/gen/tsgrpc/test/v1/echo_pb.js";
import { echoService } from "../../test/e2e/echo-service.js";
import { ReflectionClient } from "./reflection-client.js";

type ReflectionImpl = { serverReflectionInfo(requests: AsyncIterable<unknown>): AsyncIterable<unknown> };

/** A server whose reflection counts the requests it reads, by service; `only` registers just that version. */
async function countingServer(only?: DescService) {
  const server = createServer();
  server.service(EchoService, echoService() as never);
  const requests = new Map<string, number>();
  createReflectionService({ services: [EchoService] }).register({
    service(desc, impl) {
      if (only !== undefined && desc !== only) return;
      const inner = impl as unknown as ReflectionImpl;
      const counted: ReflectionImpl = {
        serverReflectionInfo: (source) =>
          inner.serverReflectionInfo(
            (async function* () {
              for await (const r of source) {
                requests.set(desc.typeName, (requests.get(desc.typeName) ?? 0) + 1);
                yield r;
              }
            })(),
          ),
      };
      server.service(desc, counted as never);
    },
  });
  const { port } = await server.listen("127.0.0.1:0");
  return { server, requests, target: `http://127.0.0.1:${port}` };
}

async function askThree(target: string) {
  const channel = createChannel(target);
  const client = new ReflectionClient(channel, new Metadata(), 10_000);
  try {
    assert.ok((await client.listServices()).includes("tsgrpc.test.v1.EchoService"));
    assert.ok((await client.fileContainingSymbol("tsgrpc.test.v1.EchoService"))?.length);
    assert.equal(await client.fileContainingSymbol("no.such.Symbol"), undefined);
    return client.version;
  } finally {
    client.close();
    channel.close();
  }
}

test("each question is one request (the first one too)", async () => {
  const { server, requests, target } = await countingServer();
  try {
    assert.equal(await askThree(target), "v1");
    assert.deepEqual([...requests], [["grpc.reflection.v1.ServerReflection", 3]]);
  } finally {
    await server.close({ graceMs: 100 });
  }
});

test("a v1alpha-only server gets each question once too", async () => {
  const { server, requests, target } = await countingServer(ServerReflectionV1Alpha);
  try {
    assert.equal(await askThree(target), "v1alpha");
    assert.deepEqual([...requests], [["grpc.reflection.v1alpha.ServerReflection", 3]]);
  } finally {
    await server.close({ graceMs: 100 });
  }
});
