/**
 * Starts nginx or HAProxy (Debian's packages) as a gRPC proxy in front of
 * some backends on loopback: configuration, pid and logs in a temporary
 * directory of their own, run in the foreground as the current user, nothing
 * under /etc or /var touched. Every process started here is stopped through
 * the returned handle.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import * as net from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

export type ProxyName = "nginx" | "haproxy";

export const PROXY_BINARIES: Record<ProxyName, string> = { nginx: "/usr/sbin/nginx", haproxy: "/usr/sbin/haproxy" };

export interface ProxyProcess {
  readonly name: ProxyName;
  readonly port: number;
  /** The proxy's error log so far (for failures). */
  log(): string;
  stop(): Promise<void>;
}

/** A free loopback port (bound and released: the proxy binds it right after). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function nginxConfig(dir: string, port: number, backends: number[]): string {
  // Workers of a root master switch to `user`; keep them as whoever runs this.
  const user = process.getuid?.() === 0 ? "user root root;" : "";
  return `${user}
worker_processes 1;
daemon off;
master_process on;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 512; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_max_body_size 0;
  upstream backends {
${backends.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=10s;`).join("\n")}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port} http2;
    location / {
      grpc_pass grpc://backends;
      # A backend that dies mid-call: nginx retries the call on another one (gRPC methods here are
      # idempotent; without non_idempotent nginx never retries a POST, and answers 502).
      grpc_next_upstream error timeout non_idempotent;
      # What nginx cannot retry itself (the request body already streamed to a backend that
      # died) becomes a gRPC UNAVAILABLE without headers, as nginx documents for gRPC: a
      # client's retry policy may retry that, while a bare HTTP 502 counts as a response.
      error_page 502 503 504 = @grpc_unavailable;
    }
    location @grpc_unavailable {
      internal;
      default_type application/grpc;
      add_header grpc-status 14 always;
      add_header grpc-message "backend unavailable" always;
      return 204;
    }
  }
}
`;
}

function haproxyConfig(port: number, backends: number[]): string {
  return `global
  maxconn 512
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  retries 2
  option redispatch
frontend grpc_in
  bind 127.0.0.1:${port} proto h2
  default_backend grpc_backends
backend grpc_backends
  balance roundrobin
  retry-on conn-failure empty-response
${backends.map((p, i) => `  server s${i} 127.0.0.1:${p} proto h2 check inter 500ms fall 1 rise 1`).join("\n")}
`;
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited (${child.exitCode ?? child.signalCode}) before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`did not listen on ${port} within ${timeoutMs} ms`);
}

/** Starts `name` on a free loopback port in front of `backends`; rejects (leaving nothing running) if it does not come up. */
export async function startProxy(name: ProxyName, backends: number[]): Promise<ProxyProcess> {
  const dir = mkdtempSync(join(tmpdir(), `tsgrpc-${name}-`));
  const port = await freePort();
  let args: string[];
  if (name === "nginx") {
    writeFileSync(join(dir, "nginx.conf"), nginxConfig(dir, port, backends));
    args = ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")];
  } else {
    writeFileSync(join(dir, "haproxy.cfg"), haproxyConfig(port, backends));
    args = ["-db", "-f", join(dir, "haproxy.cfg")];
  }
  const child = spawn(PROXY_BINARIES[name], args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.on("error", (e) => (out += `\ncould not start: ${e.message}`));
  const log = () => {
    const file = join(dir, "error.log");
    return out + (existsSync(file) ? readFileSync(file, "utf8") : "");
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        rmSync(dir, { recursive: true, force: true });
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) return finish();
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      child.once("exit", finish);
      // nginx: SIGQUIT is a graceful stop, SIGTERM a fast one; HAProxy in -db stops on SIGTERM.
      child.kill("SIGTERM");
    });
  try {
    await waitForPort(port, child, 10_000);
  } catch (e) {
    const why = `${name} ${(e as Error).message} (user ${userInfo().username}):\n${log()}`;
    await stop();
    throw new Error(why);
  }
  return { name, port, log, stop };
}
