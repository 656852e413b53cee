/**
 * The client-side bound: `node:http2` with pre-framed requests, checking
 * only what any client must (HTTP status, grpc-status, message boundaries
 * and lengths) and decoding no message. It compares the byte length of each
 * answer with the length a correct SimpleResponse of that size has.
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

export function createRawClient(options: BenchClientOptions): BenchClient {
  const session = http2.connect(options.url);
  session.on("error", () => {});
  const request = frame(requestBytes(options.responseSize, options.payloadSize));
  const expectedLength = responseBytes(options.responseSize).byteLength;
  const unaryHeaders = headersFor(PATHS.unaryCall);

  function lengthError(length: number): Error {
    return new Error(`response message of ${length} bytes, expected ${expectedLength}`);
  }

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

  return {
    unary() {
      const stream = session.request(unaryHeaders);
      let messages = 0;
      let bad = -1;
      const splitter = createEnvelopeSplitter((_body, length) => {
        messages++;
        if (length !== expectedLength) bad = length;
      }, false);
      stream.on("data", (chunk: Buffer) => splitter.push(chunk));
      const done = statusOf(stream).then(() => {
        if (messages !== 1 || splitter.pendingBytes !== 0) throw new Error(`${messages} messages instead of 1`);
        if (bad >= 0) throw lengthError(bad);
      });
      stream.end(request);
      return done;
    },
    serverStream(count) {
      const stream = session.request(headersFor(PATHS.streamingFromServer));
      stream.end(request);
      return new Promise((resolve, reject) => {
        let received = 0;
        const splitter = createEnvelopeSplitter((_body, length) => {
          if (received === count) return;
          if (length !== expectedLength) {
            stream.close(NGHTTP2_CANCEL);
            return reject(lengthError(length));
          }
          if (++received === count) {
            stream.close(NGHTTP2_CANCEL);
            resolve();
          }
        }, false);
        stream.on("data", (chunk: Buffer) => splitter.push(chunk));
        stream.on("error", reject);
        stream.on("close", () => {
          if (received < count) reject(new Error(`stream ended after ${received} of ${count} messages`));
        });
      });
    },
    async clientStream(count) {
      const stream = session.request(headersFor(PATHS.streamingFromClient));
      let answer = -1;
      const splitter = createEnvelopeSplitter((_body, length) => (answer = length), false);
      stream.on("data", (chunk: Buffer) => splitter.push(chunk));
      const done = statusOf(stream);
      done.catch(() => {});
      for (let i = 0; i < count; i++) {
        if (!stream.write(request)) await Promise.race([once(stream, "drain"), done]);
      }
      stream.end();
      await done;
      if (answer !== expectedLength) throw lengthError(answer);
    },
    async openPingPong(): Promise<PingPong> {
      const stream = session.request(headersFor(PATHS.streamingCall));
      const waiting: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
      const splitter = createEnvelopeSplitter((_body, length) => {
        const next = waiting.shift();
        if (length === expectedLength) next?.resolve();
        else next?.reject(lengthError(length));
      }, false);
      stream.on("data", (chunk: Buffer) => splitter.push(chunk));
      const done = statusOf(stream);
      done.catch((error) => {
        for (const w of waiting.splice(0)) w.reject(error);
      });
      return {
        ping() {
          return new Promise<void>((resolve, reject) => {
            waiting.push({ resolve, reject });
            stream.write(request);
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
