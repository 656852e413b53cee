import type { IncomingHttpHeaders } from "node:http";

/**
 * Cross-origin access for the protocols browsers speak (gRPC-Web, Connect,
 * REST/JSON): which web origins may call the server, which request headers
 * they may send, and which response headers their scripts may read
 * (the Fetch standard's CORS protocol). Without this option a server sends
 * no CORS headers, and browsers only let pages of its own origin call it.
 *
 * ```ts
 * createServer({ cors: { allowedOrigins: ["https://app.example.com"], allowedHeaders: ["x-request-id"] } });
 * ```
 */
export interface CorsOptions {
  /**
   * The origins allowed to call: exact origins (`https://app.example.com`),
   * `"*"` for any, or a function deciding per origin. Required.
   */
  allowedOrigins: readonly string[] | "*" | ((origin: string) => boolean);
  /**
   * Request headers allowed besides the protocols' own (`content-type`,
   * `x-grpc-web`, `grpc-timeout`, `connect-protocol-version`, …): the
   * metadata keys your pages send. Default none.
   */
  allowedHeaders?: readonly string[];
  /**
   * Response headers scripts may read besides the protocols' own
   * (`grpc-status`, `grpc-message`, `grpc-status-details-bin`, …): the
   * metadata keys your handlers send. Default none.
   */
  exposedHeaders?: readonly string[];
  /**
   * Lets requests carry cookies and HTTP authentication
   * (`Access-Control-Allow-Credentials`). Default false. Not with
   * `allowedOrigins: "*"`, which would let any site call with its visitors'
   * cookies: a `TypeError` then.
   */
  allowCredentials?: boolean;
  /** How long browsers may cache a preflight answer, in seconds. Default 7,200. */
  maxAgeSeconds?: number;
}

/** The request headers gRPC-Web, Connect and REST clients send that browsers ask permission for. */
const protocolRequestHeaders = [
  "content-type",
  "content-encoding",
  "x-grpc-web",
  "x-user-agent",
  "grpc-timeout",
  "grpc-encoding",
  "grpc-accept-encoding",
  "connect-protocol-version",
  "connect-timeout-ms",
  "connect-content-encoding",
  "connect-accept-encoding",
];

/** The response headers of those protocols that a browser client must read. */
const protocolResponseHeaders = [
  "grpc-status",
  "grpc-message",
  "grpc-status-details-bin",
  "grpc-encoding",
  "grpc-accept-encoding",
  "content-encoding",
  "connect-content-encoding",
  "connect-accept-encoding",
];

/** A validated CORS policy, shared by every browser-facing protocol of a server. */
export interface CorsPolicy {
  /** Whether `headers` are those of a preflight (OPTIONS with `Origin` and `Access-Control-Request-Method`). */
  isPreflight(method: string, headers: IncomingHttpHeaders): boolean;
  /** The answer to a preflight: an HTTP status and its headers. */
  preflight(headers: IncomingHttpHeaders): { status: number; headers: Record<string, string> };
  /** Headers to add to the response of an actual request (empty when it has no allowed `Origin`). */
  responseHeaders(headers: IncomingHttpHeaders): Record<string, string>;
}

const varyOrigin: Readonly<Record<string, string>> = Object.freeze({ vary: "Origin" });

/** Validates `options` once; throws a `TypeError` for bad ones. */
export function createCorsPolicy(options: CorsOptions, where = "createServer"): CorsPolicy {
  if (!options || typeof options !== "object") throw new TypeError(`${where}: cors must be an object`);
  const origins = options.allowedOrigins;
  let allows: (origin: string) => boolean;
  if (origins === "*") allows = () => true;
  else if (typeof origins === "function") allows = origins;
  else if (Array.isArray(origins) && origins.every((o) => typeof o === "string")) {
    const set = new Set(origins.map((o) => o.toLowerCase().replace(/\/$/, "")));
    allows = (origin) => set.has(origin.toLowerCase());
  } else throw new TypeError(`${where}: cors.allowedOrigins must be "*", a list of origins or a function`);
  const list = (v: readonly string[] | undefined, name: string) => {
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every((h) => typeof h === "string" && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(h))) {
      throw new TypeError(`${where}: cors.${name} must be a list of header names`);
    }
    return v.map((h) => h.toLowerCase());
  };
  const maxAge = options.maxAgeSeconds ?? 7200;
  if (!Number.isInteger(maxAge) || maxAge < 0) throw new TypeError(`${where}: cors.maxAgeSeconds must be a non-negative integer`);
  const credentials = options.allowCredentials === true;
  if (credentials && origins === "*") {
    // Any site could then make calls with its visitors' cookies: ask for the origins by name.
    throw new TypeError(`${where}: cors.allowCredentials needs allowedOrigins listed (or a function), not "*"`);
  }
  const allowHeaders = [...new Set([...protocolRequestHeaders, ...list(options.allowedHeaders, "allowedHeaders")])].join(", ");
  const exposeHeaders = [...new Set([...protocolResponseHeaders, ...list(options.exposedHeaders, "exposedHeaders")])].join(", ");
  const allowOrigin = (origin: string) => (origins === "*" ? "*" : origin);

  return {
    isPreflight(method, headers) {
      return method === "OPTIONS" && typeof headers.origin === "string" && headers["access-control-request-method"] !== undefined;
    },
    preflight(headers) {
      const origin = String(headers.origin);
      if (!allows(origin)) return { status: 403, headers: { vary: "Origin" } };
      const h: Record<string, string> = {
        "access-control-allow-origin": allowOrigin(origin),
        "access-control-allow-methods": "POST, GET",
        "access-control-allow-headers": allowHeaders,
        "access-control-max-age": String(maxAge),
        vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
      };
      if (credentials) h["access-control-allow-credentials"] = "true";
      return { status: 204, headers: h };
    },
    responseHeaders(headers) {
      const origin = headers.origin;
      // Vary even when no CORS headers go out: a cache must not hand this answer to another origin.
      if (typeof origin !== "string" || !allows(origin)) return varyOrigin;
      const h: Record<string, string> = {
        "access-control-allow-origin": allowOrigin(origin),
        "access-control-expose-headers": exposeHeaders,
        vary: "Origin",
      };
      if (credentials) h["access-control-allow-credentials"] = "true";
      return h;
    },
  };
}
