// The gRPC interop cases between tsgrpc and @grpc/grpc-js, in one process:
// grpc-js client → tsgrpc server, tsgrpc client → grpc-js server and
// tsgrpc → tsgrpc, each in plaintext and over TLS (test CA, server name
// foo.test.google.fr). Also checks the compressed flag of server responses
// on the wire, which no library client can see.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { parseClientFlags, type ClientFlags } from "../../interop/flags.js";
import { TEST_SERVER_NAME } from "../../interop/certs.js";
import { TEST_CASES } from "../../interop/test-cases.js";
import { runTsgrpcCase } from "../../interop/client.js";
import { startTsgrpcServer } from "../../interop/server.js";
import { runGrpcJsCase } from "../../interop/grpc-js/client.js";
import { startGrpcJsServer } from "../../interop/grpc-js/server.js";
import { probeCall } from "../../interop/wire-probe.js";
import { SimpleRequestSchema, StreamingOutputCallRequestSchema } from "../../interop/gen/grpc/testing/messages_pb.js";
import { assertNoLeaks } from "../e2e/leak-check.js";

type Running = { port: number; close(): Promise<void> };
type Runner = (flags: ClientFlags) => Promise<void>;

const CASE_TIMEOUT_MS = 30_000;

function flagsFor(port: number, testCase: string, useTls: boolean): ClientFlags {
  const args = ["--server_host=127.0.0.1", `--server_port=${port}`, `--test_case=${testCase}`];
  if (useTls) args.push("--use_tls=true", "--use_test_ca=true", `--server_host_override=${TEST_SERVER_NAME}`);
  return parseClientFlags(args);
}

for (const useTls of [false, true]) {
  describe(`interop with grpc-js (${useTls ? "tls" : "plaintext"})`, () => {
    let tsgrpc: Running;
    let grpcJs: Running;

    before(async () => {
      tsgrpc = await startTsgrpcServer({ useTls });
      grpcJs = await startGrpcJsServer({ useTls });
    });

    after(async () => {
      await Promise.all([tsgrpc?.close(), grpcJs?.close()]);
      await assertNoLeaks(5000);
    });

    const pairs: { name: string; run: Runner; server: () => Running }[] = [
      { name: "grpc-js client → tsgrpc server", run: runGrpcJsCase, server: () => tsgrpc },
      { name: "tsgrpc client → grpc-js server", run: runTsgrpcCase, server: () => grpcJs },
      { name: "tsgrpc client → tsgrpc server", run: runTsgrpcCase, server: () => tsgrpc },
    ];

    for (const pair of pairs) {
      describe(pair.name, () => {
        for (const testCase of TEST_CASES) {
          test(testCase, { timeout: CASE_TIMEOUT_MS }, async () => {
            await pair.run(flagsFor(pair.server().port, testCase, useTls));
          });
        }
      });
    }

    for (const [name, server] of [["tsgrpc", () => tsgrpc], ["grpc-js", () => grpcJs]] as const) {
      describe(`${name} server: compressed flag on the wire`, () => {
        test("server_compressed_unary", { timeout: CASE_TIMEOUT_MS }, async () => {
          for (const compressed of [true, false]) {
            const request = toBinary(SimpleRequestSchema, create(SimpleRequestSchema, { responseSize: 314_159, responseCompressed: { value: compressed } }));
            const res = await probeCall({ port: server().port, useTls, path: "/grpc.testing.TestService/UnaryCall", request });
            assert.equal(res.status, "0", "grpc-status");
            assert.deepEqual(res.messages.map((m) => m.compressed), [compressed], `compressed flag with response_compressed=${compressed}`);
            if (compressed) assert.equal(res.headers["grpc-encoding"], "gzip", "grpc-encoding response header");
          }
        });

        test("server_compressed_streaming", { timeout: CASE_TIMEOUT_MS }, async () => {
          const request = toBinary(
            StreamingOutputCallRequestSchema,
            create(StreamingOutputCallRequestSchema, {
              responseParameters: [
                { size: 31_415, compressed: { value: true } },
                { size: 92_653, compressed: { value: false } },
              ],
            }),
          );
          const res = await probeCall({ port: server().port, useTls, path: "/grpc.testing.TestService/StreamingOutputCall", request });
          assert.equal(res.status, "0", "grpc-status");
          assert.deepEqual(res.messages.map((m) => m.compressed), [true, false], "compressed flags of the two responses");
          assert.ok(res.messages[1]!.length > 92_653, "the uncompressed response has its full size");
        });
      });
    }
  });
}
