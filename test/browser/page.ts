// The page's script: calls the example UserService (and the test EchoService)
// by gRPC-Web and by Connect with tsgrpc/web, and reports what happened.
// Bundled for the browser by the test; runs in Chromium.
import { Code, RpcError, createClient, createConnectTransport, createGrpcWebTransport, type Transport } from "../../src/web/index.js";
import { ErrorInfoSchema } from "../../src/status/error-details.js";
import { UserService } from "../../examples/users/gen/users/v1/users_pb.js";
import { EchoService } from "../gen/tsgrpc/test/v1/echo_pb.js";

export interface ProtocolReport {
  unaryName: string | undefined;
  header: string | undefined;
  streamed: string[];
  errorCode: number | undefined;
  errorMessage: string | undefined;
  errorReason: string | undefined;
  errorMetadata: string | undefined;
  deadlineCode: number | undefined;
  midStreamCode: number | undefined;
  midStreamCount: number;
}

async function exercise(transport: Transport): Promise<ProtocolReport> {
  const users = createClient(UserService, transport);
  const echo = createClient(EchoService, transport);
  let header: string | undefined;
  const { user } = await users.getUser({ id: "0002" }, { metadata: { "x-header-h": "from-browser" }, timeoutMs: 5000 });
  await echo.unary({}, { metadata: { "x-header-h": "from-browser" }, onHeader: (h) => (header = h.get("x-header-h")) });
  const streamed: string[] = [];
  for await (const u of users.listUsers({ pageSize: 3 }, { timeoutMs: 5000 })) streamed.push(u.name);
  const report: ProtocolReport = {
    unaryName: user?.name,
    header,
    streamed,
    errorCode: undefined,
    errorMessage: undefined,
    errorReason: undefined,
    errorMetadata: undefined,
    deadlineCode: undefined,
    midStreamCode: undefined,
    midStreamCount: 0,
  };
  try {
    await echo.unary({ tag: "details" });
  } catch (e) {
    if (e instanceof RpcError) {
      report.errorCode = e.code;
      report.errorMessage = e.rawMessage;
      report.errorReason = e.findDetails(ErrorInfoSchema)[0]?.reason;
      report.errorMetadata = e.metadata.get("x-why") as string | undefined;
    }
  }
  try {
    await echo.unary({ sleepMs: 5000 }, { timeoutMs: 100 });
  } catch (e) {
    report.deadlineCode = (e as RpcError).code;
  }
  try {
    for await (const _ of echo.serverStream({ responseCount: 5, failCode: Code.ABORTED, failAfter: 2 })) report.midStreamCount++;
  } catch (e) {
    report.midStreamCode = (e as RpcError).code;
  }
  return report;
}

/** Runs everything against the API at `baseUrl`; each protocol's report, or its failure as text. */
async function run(baseUrl: string): Promise<Record<string, ProtocolReport | string>> {
  const out: Record<string, ProtocolReport | string> = {};
  const transports: [string, Transport][] = [
    ["grpc-web", createGrpcWebTransport({ baseUrl })],
    ["connect", createConnectTransport({ baseUrl })],
    ["connect-get", createConnectTransport({ baseUrl, useHttpGet: true })],
  ];
  for (const [name, transport] of transports) {
    try {
      out[name] = await exercise(transport);
    } catch (e) {
      out[name] = e instanceof RpcError ? `${e.code} ${e.rawMessage}` : String(e);
    }
  }
  return out;
}

(globalThis as unknown as { tsgrpcRun: typeof run }).tsgrpcRun = run;
