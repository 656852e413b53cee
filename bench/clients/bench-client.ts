/**
 * One shape for every client under test. Each method makes real calls with
 * the implementation's public API and throws if an answer is wrong (a bad
 * status, a payload of the wrong size, a short stream): a fast wrong answer
 * must never count.
 */
export interface BenchClient {
  /** One unary call. */
  unary(): Promise<void>;
  /** Read `count` messages of a StreamingFromServer call, then cancel it. */
  serverStream(count: number): Promise<void>;
  /** Send `count` messages on StreamingFromClient and await its answer. */
  clientStream(count: number): Promise<void>;
  /** Open a StreamingCall for ping-pong: each `ping()` sends one request and awaits one answer. */
  openPingPong(): Promise<PingPong>;
  close(): void;
}

export interface PingPong {
  ping(): Promise<void>;
  /** Half-close and wait for the server's OK. */
  close(): Promise<void>;
}

export interface BenchClientOptions {
  /** e.g. http://127.0.0.1:50051 */
  url: string;
  /** Payload bytes each response must carry (asked with response_size). */
  responseSize: number;
  /** Payload bytes each request carries. */
  payloadSize: number;
}

export function checkSize(actual: number | undefined, expected: number): void {
  if (actual !== expected) {
    throw new Error(`response payload of ${actual ?? "no"} bytes, expected ${expected}`);
  }
}
