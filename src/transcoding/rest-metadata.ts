import type { IncomingHttpHeaders } from "node:http";
import { metadataFromHeaders, type Metadata } from "../metadata/metadata.js";
/** Response headers as Node takes them. */
export type ResponseHeaders = Record<string, string | string[]>;

/** Headers about the connection or the body's framing, not about the call: never metadata. */
const connectionHeaders = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "host",
  "content-length",
  "content-encoding",
  "http2-settings",
]);

const metadataPrefix = "grpc-metadata-";

/**
 * The request metadata of a REST call. The server answers HTTP directly (no
 * proxy in between), so handlers see the request's own headers: every
 * header except those about the connection and the framing (`connection`,
 * `keep-alive`, `transfer-encoding`, `upgrade`, `te`, `trailer`, `host`,
 * `content-length`, `content-encoding`, HTTP/2 pseudo-headers) and gRPC's
 * reserved `grpc-*` ones. As with grpc-gateway, `Grpc-Metadata-Foo: bar`
 * arrives as `foo: bar`, so that clients can send keys that HTTP would
 * otherwise interpret. Keys ending in `-bin` are base64, as in gRPC.
 */
export function restRequestMetadata(headers: IncomingHttpHeaders): Metadata {
  const pass: Record<string, string | string[]> = {};
  for (const key in headers) {
    const value = headers[key];
    if (value === undefined || connectionHeaders.has(key)) continue;
    if (key.startsWith(metadataPrefix)) {
      const name = key.slice(metadataPrefix.length);
      if (name !== "") pass[name] = value;
    } else if (!(key in pass)) {
      pass[key] = value;
    }
  }
  return metadataFromHeaders(pass);
}

