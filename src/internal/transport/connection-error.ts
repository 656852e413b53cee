import type { Http2Session } from "node:http2";

/**
 * The words of an UNAVAILABLE status for a connection that failed: what
 * went wrong in terms a user can act on (which certificate, which check),
 * followed by the OpenSSL or Node error code, e.g.
 * `TLS handshake failed: the server's certificate has expired (CERT_HAS_EXPIRED)`.
 */
export function describeConnectionError(e: Error): string {
  const root = rootCause(e);
  const code = (root as { code?: string }).code ?? "";
  const what = tlsProblems[code];
  if (what) return `TLS handshake failed: ${what} (${code})`;
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return `TLS handshake failed: the server's certificate does not name this server: ${(root as { reason?: string }).reason ?? root.message} (${code})`;
  if (code.startsWith("ERR_SSL_")) return `TLS handshake failed: ${root.message.split("\n")[0]!.replace(/^.*:SSL routines:[^:]*:/, "").replace(/:\.\.\/.*$/, "")} (${code})`;
  if (code === "ECONNREFUSED") return `connection refused: ${root.message}`;
  return root === e ? e.message : `connection failed: ${root.message}`;
}

/**
 * Whether a stream closed with CANCEL because its connection went away (Node
 * closes every stream of a dropped connection that way) rather than because
 * the server reset it.
 */
export function connectionLost(session: Http2Session | undefined): boolean {
  return session !== undefined && (session.destroyed || session.closed);
}

/** Why a call ended with its connection. */
export function connectionLostMessage(session: Http2Session | undefined, answered: boolean): string {
  if (answered) return "the connection closed before the call completed";
  // A Node server that refuses a client certificate closes the connection without a TLS alert.
  return session?.encrypted
    ? "the server closed the connection before answering (a TLS server that refuses the client certificate does this)"
    : "the connection closed before the server answered";
}

function rootCause(e: Error): Error {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur instanceof Error && cur.cause instanceof Error; i++) cur = cur.cause;
  return cur as Error;
}

/** Certificate checks the client makes, and TLS alerts a server sends, in plain words. */
const tlsProblems: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's certificate is not signed by a trusted CA",
  UNABLE_TO_GET_ISSUER_CERT: "the server's certificate is not signed by a trusted CA",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the server's certificate is not signed by a trusted CA",
  SELF_SIGNED_CERT_IN_CHAIN: "the server's certificate chains to a CA that is not trusted",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's certificate is self-signed and not trusted",
  CERT_UNTRUSTED: "the server's certificate is not trusted",
  CERT_HAS_EXPIRED: "the server's certificate has expired",
  CERT_NOT_YET_VALID: "the server's certificate is not valid yet",
  CERT_REVOKED: "the server's certificate was revoked",
  CERT_SIGNATURE_FAILURE: "the server's certificate signature does not verify",
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: "the server requires a client certificate and none was sent",
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: "the server refused the client certificate: it has expired",
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: "the server does not trust the CA of the client certificate",
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: "the server refused the client certificate",
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: "the server refused the client certificate",
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED: "the server refused the client certificate: it was revoked",
  ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL: "the server does not offer HTTP/2 (ALPN h2)",
  ERR_SSL_WRONG_VERSION_NUMBER: "the server did not answer in TLS (is it a plain-text server?)",
  ERR_SSL_PACKET_LENGTH_TOO_LONG: "the server did not answer in TLS (is it a plain-text server?)",
};
