import * as http from "node:http";
import * as http2 from "node:http2";

/** A response as a test reads it. */
export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface TestRequest {
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

/** One request over HTTP/1.1 (keep-alive off), bounded in time. */
export function http1Request(port: number, r: TestRequest): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method: r.method, path: r.path, headers: r.headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on("error", reject);
    req.setTimeout(5000, () => req.destroy(new Error("timeout")));
    req.end(r.body);
  });
}

/** One request over HTTP/2 (prior knowledge), on `session`, bounded in time. */
export function http2Request(session: http2.ClientHttp2Session, r: TestRequest): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":method": r.method, ":path": r.path, ...r.headers }, { endStream: r.body === undefined });
    let headers: Record<string, string | string[] | undefined> = {};
    let text = "";
    stream.setEncoding("utf8");
    stream.on("response", (h) => (headers = h as typeof headers));
    stream.on("data", (d: string) => (text += d));
    stream.on("end", () => resolve({ status: Number(headers[":status"]), headers, text }));
    stream.on("error", reject);
    stream.setTimeout(5000, () => stream.close(http2.constants.NGHTTP2_CANCEL, () => reject(new Error("timeout"))));
    if (r.body !== undefined) stream.end(r.body);
  });
}
