// Cross-implementation: the same contract with @grpc/grpc-js on the other side.
import { createChannel, createClient, createServer } from "../../src/index.js";
import { createGrpcJsEchoClient, startGrpcJsEchoServer } from "../peers/grpc-js-echo.js";
import { EchoService, echoService, createObservations } from "./echo-service.js";
import { runEchoContract } from "./echo-contract.js";

const fourMiB = 4 * 1024 * 1024;

runEchoContract("grpc-js client → tsgrpc server", async () => {
  const observe = createObservations();
  const server = createServer().service(EchoService, echoService(observe));
  const { port } = await server.listen("127.0.0.1:0");
  const { client, close } = createGrpcJsEchoClient(port);
  return {
    client,
    observe,
    serverMaxReceiveBytes: fourMiB,
    clientMaxReceiveBytes: fourMiB,
    async teardown() {
      close();
      await server.close({ graceMs: 1000 });
    },
  };
});

runEchoContract("tsgrpc client → grpc-js server", async () => {
  const peer = await startGrpcJsEchoServer();
  const channel = createChannel(`http://127.0.0.1:${peer.port}`);
  return {
    client: createClient(EchoService, channel),
    serverMaxReceiveBytes: fourMiB,
    clientMaxReceiveBytes: fourMiB,
    async teardown() {
      channel.close();
      await peer.close();
    },
  };
});
