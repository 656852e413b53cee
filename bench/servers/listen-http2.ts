/** Listen with a `node:http2` server and close it without waiting for clients. */
import type http2 from "node:http2";
import type { BenchServer, BenchServerOptions } from "./bench-server.js";

export function listenHttp2(server: http2.Http2Server, options: BenchServerOptions): Promise<BenchServer> {
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : options.port;
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const session of sessions) session.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
