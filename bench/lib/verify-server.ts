/**
 * Checks that a server gives a real gRPC answer to the exact request h2load
 * sends: HTTP 200, content-type application/grpc, one well-formed message
 * decoding to a SimpleResponse with the asked payload size, and grpc-status 0
 * in the trailers. h2load itself only sees HTTP statuses, and a gRPC error
 * is an HTTP 200 too, so this runs once per server before it is measured.
 */
import http2 from "node:http2";
import { fromBinary } from "@bufbuild/protobuf";
import { createEnvelopeSplitter } from "./envelope.js";
import { PATHS, SimpleResponseSchema } from "./messages.js";

export interface VerifyResult {
  ok: boolean;
  detail: string;
}

export function verifyUnary(
  url: string,
  framedRequest: Uint8Array,
  expectedSize: number,
  timeoutMs = 5000,
): Promise<VerifyResult> {
  return new Promise((resolve) => {
    const session = http2.connect(url);
    const messages: Uint8Array[] = [];
    let compressed = false;
    let status = 0;
    let contentType = "";
    let grpcStatus: string | undefined;
    let grpcMessage = "";
    const finish = (result: VerifyResult): void => {
      clearTimeout(timer);
      session.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, detail: `no answer in ${timeoutMs} ms` }), timeoutMs);
    session.on("error", (error) => finish({ ok: false, detail: `session error: ${error.message}` }));
    const stream = session.request({
      ":method": "POST",
      ":path": PATHS.unaryCall,
      "content-type": "application/grpc",
      te: "trailers",
    });
    const splitter = createEnvelopeSplitter((body, _length, flag) => {
      messages.push(body!);
      compressed ||= flag;
    }, true);
    stream.on("response", (headers) => {
      status = Number(headers[":status"]);
      contentType = String(headers["content-type"] ?? "");
      if (headers["grpc-status"] !== undefined) grpcStatus = String(headers["grpc-status"]);
    });
    stream.on("trailers", (trailers) => {
      grpcStatus = String(trailers["grpc-status"] ?? "");
      grpcMessage = String(trailers["grpc-message"] ?? "");
    });
    stream.on("data", (chunk: Buffer) => splitter.push(chunk));
    stream.on("error", (error) => finish({ ok: false, detail: `stream error: ${error.message}` }));
    stream.on("close", () => {
      const problems: string[] = [];
      if (status !== 200) problems.push(`HTTP status ${status}`);
      if (!contentType.startsWith("application/grpc")) problems.push(`content-type "${contentType}"`);
      if (grpcStatus !== "0") problems.push(`grpc-status ${grpcStatus ?? "missing"} ${grpcMessage}`.trim());
      if (splitter.pendingBytes !== 0) problems.push("truncated message");
      if (compressed) problems.push("unexpected compressed message");
      if (messages.length !== 1) problems.push(`${messages.length} messages instead of 1`);
      else {
        try {
          const size = fromBinary(SimpleResponseSchema, messages[0]).payload?.body.byteLength ?? 0;
          if (size !== expectedSize) problems.push(`payload of ${size} bytes instead of ${expectedSize}`);
        } catch (error) {
          problems.push(`undecodable response: ${(error as Error).message}`);
        }
      }
      finish(problems.length === 0 ? { ok: true, detail: "gRPC OK" } : { ok: false, detail: problems.join("; ") });
    });
    stream.end(framedRequest);
  });
}
