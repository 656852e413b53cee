import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { Code, RpcError, createClient, createWritableIterable, type Channel, type Metadata } from "../index.js";
import { ServerReflectionV1, ServerReflectionV1Alpha } from "../reflection/index.js";
import { CliError } from "./cli-error.js";

type Request = { messageRequest: { case: "listServices" | "fileByFilename" | "fileContainingSymbol"; value: string } };
type Response = {
  messageResponse:
    | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
    | { case: "listServicesResponse"; value: { service: { name: string }[] } }
    | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } }
    | { case: string | undefined; value?: unknown };
};

interface Stream {
  ask(request: Request): Promise<Response>;
  close(): void;
}

/**
 * A client of server reflection over one stream: v1 first, v1alpha if the
 * server only has that. Lookups that the server answers with an error
 * response resolve to undefined.
 */
export class ReflectionClient {
  readonly #channel: Channel;
  readonly #metadata: Metadata;
  readonly #timeoutMs: number;
  #stream: Promise<Stream> | undefined;
  /** The reflection version the server answered, once known. */
  version: "v1" | "v1alpha" | undefined;

  /** `timeoutMs` bounds the whole stream; default 20 s, so that a server that never answers cannot hang the command. */
  constructor(channel: Channel, metadata: Metadata, timeoutMs: number | undefined) {
    this.#channel = channel;
    this.#metadata = metadata;
    this.#timeoutMs = timeoutMs ?? 20_000;
  }

  async listServices(): Promise<string[]> {
    const r = await this.#ask({ messageRequest: { case: "listServices", value: "" } });
    if (r.messageResponse.case !== "listServicesResponse") throw unexpected(r);
    return (r.messageResponse.value as { service: { name: string }[] }).service.map((s) => s.name);
  }

  fileContainingSymbol(symbol: string): Promise<FileDescriptorProto[] | undefined> {
    return this.#files({ messageRequest: { case: "fileContainingSymbol", value: symbol } });
  }

  fileByFilename(name: string): Promise<FileDescriptorProto[] | undefined> {
    return this.#files({ messageRequest: { case: "fileByFilename", value: name } });
  }

  close(): void {
    void this.#stream?.then((s) => s.close(), () => undefined);
  }

  async #files(request: Request): Promise<FileDescriptorProto[] | undefined> {
    const r = await this.#ask(request);
    if (r.messageResponse.case === "errorResponse") return undefined;
    if (r.messageResponse.case !== "fileDescriptorResponse") throw unexpected(r);
    return (r.messageResponse.value as { fileDescriptorProto: Uint8Array[] }).fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b));
  }

  async #ask(request: Request): Promise<Response> {
    if (this.#stream) return (await this.#stream).ask(request);
    const opened = this.#open(request);
    this.#stream = opened.then((o) => o.stream);
    return (await opened).answer;
  }

  /** Opens a stream, v1 then v1alpha, with `first` as its first request; its answer tells which version the server has. */
  async #open(first: Request): Promise<{ stream: Stream; answer: Response }> {
    for (const [version, service] of [["v1", ServerReflectionV1], ["v1alpha", ServerReflectionV1Alpha]] as const) {
      const stream = this.#openVersion(service);
      try {
        const answer = await stream.ask(first);
        this.version = version;
        return { stream, answer };
      } catch (e) {
        stream.close();
        if (e instanceof RpcError && e.code === Code.UNIMPLEMENTED) continue;
        throw e;
      }
    }
    throw new CliError("the server does not offer reflection (grpc.reflection.v1 or v1alpha)", {
      hint: "give the schema instead: --proto file.proto [--import-path dir] or --protoset image.binpb (buf build -o image.binpb)",
      exitCode: Code.UNIMPLEMENTED,
    });
  }

  #openVersion(service: typeof ServerReflectionV1 | typeof ServerReflectionV1Alpha): Stream {
    const requests = createWritableIterable<Request>();
    const abort = new AbortController();
    const client = createClient(service as typeof ServerReflectionV1, this.#channel);
    const responses = client
      .serverReflectionInfo(requests as never, { metadata: this.#metadata, signal: abort.signal, timeoutMs: this.#timeoutMs })
      [Symbol.asyncIterator]();
    let chain: Promise<unknown> = Promise.resolve();
    return {
      ask: (request) => {
        const answer = chain.then(async () => {
          void requests.write(request).catch(() => undefined);
          const next = await responses.next();
          if (next.done) throw new RpcError(Code.INTERNAL, "the reflection stream ended early");
          return next.value as unknown as Response;
        });
        chain = answer.catch(() => undefined);
        return answer;
      },
      close: () => {
        requests.close();
        abort.abort();
      },
    };
  }
}

function unexpected(r: Response): Error {
  return new RpcError(Code.INTERNAL, `unexpected reflection answer "${String(r.messageResponse.case)}"`);
}
