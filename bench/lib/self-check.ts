/**
 * Proof that the answer checks can fail: the raw bound is started so that it
 * answers with 7-byte payloads while every check asks for 0 bytes. The
 * server verifier and each client's checks must all report it; a check that
 * passes here would pass anything, and the run stops.
 */
import { runWorker, startServerProcess } from "./child.js";
import { frame } from "./envelope.js";
import { requestBytes } from "./messages.js";
import { verifyUnary } from "./verify-server.js";

export async function selfCheck(impls: readonly string[], log: (line: string) => void): Promise<string[]> {
  const missed: string[] = [];
  const wrongServer = await startServerProcess("raw", 7);
  try {
    const verdict = await verifyUnary(wrongServer.url, frame(requestBytes(0)), 0);
    if (verdict.ok) missed.push("the server verifier accepted a wrong payload size");
    for (const impl of impls) {
      const result = await runWorker(
        {
          impl,
          url: wrongServer.url,
          workload: "unary",
          "response-size": 0,
          "payload-size": 0,
          concurrency: 1,
          "warmup-ms": 0,
          "duration-ms": 100,
        },
        60_000,
      );
      if (!(result.errors > 0)) missed.push(`the ${impl} client accepted a wrong payload size`);
    }
  } finally {
    await wrongServer.stop();
  }
  log(missed.length ? `self-check FAILED: ${missed.join("; ")}` : "self-check: every check rejects a wrong answer");
  return missed;
}
