import { create, createFileRegistry, fromBinary, type DescMethod, type Message } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, Metadata, RpcError, createClient, type CallOptions, type Channel } from "../../index.js";
import { openChannel, type Flags } from "../options.js";
import { runLoad, type LoadPlan, type LoadResult, type ProgressFn } from "./load-runner.js";

/**
 * One share of a bench run, in plain data so that a worker thread can run it:
 * the method's files (serialized FileDescriptorProtos, imports first), the
 * requests (serialized), its connections and its part of the load.
 */
export interface BenchJob {
  target: string;
  flags: Flags;
  files: Uint8Array[];
  service: string;
  method: string;
  requests: Uint8Array[];
  metadata: [string, string | Uint8Array][];
  timeoutMs: number | undefined;
  connections: number;
  plan: LoadPlan;
}

/** Opens the job's connections (one channel each), makes one call on each before the clock starts, runs the load. */
export async function runBenchJob(job: BenchJob, onProgress?: ProgressFn): Promise<LoadResult> {
  const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: job.files.map((b) => fromBinary(FileDescriptorProtoSchema, b)) }));
  const method = registry.getService(job.service)?.methods.find((m) => m.name === job.method);
  if (!method) throw new Error(`bench job: no method ${job.service}/${job.method}`);
  const messages = job.requests.map((b) => fromBinary(method.input, b));
  const metadata = new Metadata(job.metadata);
  // No handler's call to inherit a deadline from: skip the lookup on every call.
  const options: CallOptions = { propagate: false, ...(metadata.size ? { metadata } : {}), ...(job.timeoutMs !== undefined ? { timeoutMs: job.timeoutMs } : {}) };
  const channels: Channel[] = [];
  try {
    for (let i = 0; i < job.connections; i++) channels.push(openChannel(job.target, job.flags));
    // Connections first, so that a short --timeout bounds the calls, not the handshakes.
    await Promise.all(channels.map(settled));
    const callers = channels.map((ch) => callerFor(method, ch, messages, options));
    // Not reaching the server ends the run here; other failures are the
    // server's answer, and the report counts them.
    await Promise.all(
      callers.map((c) =>
        c().catch((e: unknown) => {
          if (!(e instanceof RpcError) || e.code === Code.UNAVAILABLE || e.code === Code.UNIMPLEMENTED) throw e;
        }),
      ),
    );
    return await runLoad(callers, job.plan, onProgress);
  } finally {
    for (const ch of channels) ch.close();
  }
}

/** Resolves once the channel is READY or has failed to connect (the warm-up call then says why). */
async function settled(channel: Channel): Promise<void> {
  channel.connect();
  if (channel.state === "READY" || channel.state === "TRANSIENT_FAILURE") return;
  for await (const state of channel.watchState()) {
    if (state === "READY" || state === "TRANSIENT_FAILURE" || state === "SHUTDOWN") return;
  }
}

/** One call of `method` with `messages` on `channel`, resolved when it has fully ended. */
function callerFor(method: DescMethod, channel: Channel, messages: Message[], options: CallOptions): () => Promise<unknown> {
  const fn = (createClient(method.parent, channel) as Record<string, (input: unknown, o: CallOptions) => unknown>)[method.localName]!;
  const one = messages[0] ?? create(method.input);
  const stream = () =>
    (async function* () {
      yield* messages;
    })();
  const drain = async (responses: AsyncIterable<unknown>) => {
    for await (const _ of responses);
  };
  switch (method.methodKind) {
    case "unary":
      return () => fn(one, options) as Promise<unknown>;
    case "server_streaming":
      return () => drain(fn(one, options) as AsyncIterable<unknown>);
    case "client_streaming":
      return () => fn(stream(), options) as Promise<unknown>;
    case "bidi_streaming":
      return () => drain(fn(stream(), options) as AsyncIterable<unknown>);
  }
}
