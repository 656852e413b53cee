/**
 * The client-side bound: `node:http2` with pre-framed requests, checking
 * only what any client must (HTTP status, grpc-status, message boundaries
 * and lengths) and decoding no message. It compares the byte length of each
 * answer with the length a correct SimpleResponse of that size has.
 *
 * The second client bound (raw-protobuf-client.ts) is this client with
 * protobuf-es doing its part: `createBoundClient` takes how a bound frames
 * its requests and checks each answer.
 */
import { once } from "node:events";
import http2 from "node:http2";
import { createEnvelopeSplitter, frame } from "../lib/envelope.js";
import { PATHS, requestBytes, responseBytes } from "../lib/messages.js";
import { type BenchClient, type BenchClientOptions, type PingPong } from "./bench-client.js";

const { NGHTTP2_CANCEL } = http2.constants;

function headersFor(path: string): http2.OutgoingHttpHeaders {
  return { ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" };
}

/** How a bound client makes its requests and judges each answer. */
export interface BoundMessages {
  /** Whether `answer` is given the message bodies (false: lengths only, no copies). */
  readonly keepBodies: boolean;
  /** A framed request message, per message sent. */
  request(): Uint8Array;
  /** Undefined when the answer is right, else what is wrong with it. */
  check(body: Uint8Array | undefined, length: number): string | undefined;
}

export function createRawClient(options: BenchClientOptions): BenchClient {
  const request = frame(requestBytes(options.responseSize, options.payloadSize));
  const expectedLength = responseBytes(options.responseSize).byteLength;
  return createBoundClient(options, {
    keepBodies: false,
    request: () => request,
    check: (_body, length) => (length === expectedLength ? undefined : `response message of ${length} bytes, expected ${expectedLength}`),
  });
}

export function createBoundClient(options: BenchClientOptions, messages: BoundMessages): BenchClient {
  const session = http2.connect(options.url);
  session.on("error", () => {});
  const unaryHeaders = headersFor(PATHS.unaryCall);
  const { keepBodies, check } = messages;

  /** Resolves on grpc-status 0, rejects on anything else. */
  function statusOf(stream: http2.ClientHttp2Stream): Promise<void> {
    return new Promise((resolve, reject) => {
      let status: string | undefined;
      stream.on("response", (headers) => {
        if (headers[":status"] !== 200) reject(new Error(`HTTP ${headers[":status"]}`));
        if (headers["grpc-status"] !== undefined) status = String(headers["grpc-status"]);
      });
      stream.on("trailers", (trailers) => (status = String(trailers["grpc-status"])));
      stream.on("error", reject);
      stream.on("close", () => (status === "0" ? resolve() : reject(new Error(`grpc-status ${status}`))));
    });
  }

  /** The answer of a unary-response call: resolves once its status is OK and exactly one right message came. */
  function oneAnswer(stream: http2.ClientHttp2Stream): Promise<void> {
    let count = 0;
    let bad: string | undefined;
    const splitter = createEnvelopeSplitter((body, length) => {
      count++;
      bad ??= check(body, length);
    }, keepBodies);
    stream.on("data", (chunk: Buffer) => splitter.push(chunk));
    return statusOf(stream).then(() => {
      if (count !== 1 || splitter.pendingBytes !== 0) throw new Error(`${count} messages instead of 1`);
      if (bad !== undefined) throw new Error(bad);
    });
  }

  return {
    unary() {
      const stream = session.request(unaryHeaders);
      const done = oneAnswer(stream);
      stream.end(messages.request());
      return done;
    },
    serverStream(count) {
      const stream = session.request(headersFor(PATHS.streamingFromServer));
      stream.end(messages.request());
      return new Promise((resolve, reject) => {
        let received = 0;
        const splitter = createEnvelopeSplitter((body, length) => {
          if (received === count) return;
          const bad = check(body, length);
          if (bad !== undefined) {
            received = count;
            stream.close(NGHTTP2_CANCEL);
            return reject(new Error(bad));
          }
          if (++received === count) {
            stream.close(NGHTTP2_CANCEL);
            resolve();
          }
        }, keepBodies);
        stream.on("data", (chunk: Buffer) => splitter.push(chunk));
        stream.on("error", reject);
        stream.on("close", () => {
          if (received < count) reject(new Error(`stream ended after ${received} of ${count} messages`));
        });
      });
    },
    async clientStream(count) {
      const stream = session.request(headersFor(PATHS.streamingFromClient));
      const done = oneAnswer(stream);
      done.catch(() => {});
      for (let i = 0; i < count; i++) {
        if (!stream.write(messages.request())) await Promise.race([once(stream, "drain"), done]);
      }
      stream.end();
      await done;
    },
    async openPingPong(): Promise<PingPong> {
      const stream = session.request(headersFor(PATHS.streamingCall));
      const waiting: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
      const splitter = createEnvelopeSplitter((body, length) => {
        const next = waiting.shift();
        const bad = check(body, length);
        if (bad === undefined) next?.resolve();
        else next?.reject(new Error(bad));
      }, keepBodies);
      stream.on("data", (chunk: Buffer) => splitter.push(chunk));
      const done = statusOf(stream);
      done.catch((error) => {
        for (const w of waiting.splice(0)) w.reject(error);
      });
      return {
        ping() {
          return new Promise<void>((resolve, reject) => {
            waiting.push({ resolve, reject });
            stream.write(messages.request());
          });
        },
        async close() {
          stream.end();
          await done;
        },
      };
    },
    close() {
      session.close();
    },
  };
}
