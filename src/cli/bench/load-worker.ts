// A worker thread of `tsgrpc bench --cpus N`: runs one BenchJob and reports
// progress and the result (the histogram as plain data) to the main thread.
import { parentPort, workerData } from "node:worker_threads";
import { RpcError } from "../../index.js";
import { runBenchJob, type BenchJob } from "./bench-job.js";

const port = parentPort!;
try {
  const result = await runBenchJob(workerData as BenchJob, (done, errors) => port.postMessage({ kind: "progress", done, errors }));
  const data = result.histogram.toData();
  port.postMessage(
    { kind: "done", histogram: data, elapsedMs: result.elapsedMs, statuses: [...result.statuses], errors: [...result.errors] },
    [data.counts.buffer as ArrayBuffer],
  );
} catch (e) {
  const err = e instanceof RpcError ? { code: e.code, message: e.rawMessage } : { code: undefined, message: (e as Error)?.message ?? String(e) };
  port.postMessage({ kind: "failed", ...err });
}
