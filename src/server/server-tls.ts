import * as http2 from "node:http2";
import type { SecureContextOptions, TLSSocket, TlsOptions } from "node:tls";
import type { HttpListener } from "../internal/transport/http-listener.js";
import type { ServerTlsOptions } from "./create-server.js";

/** The key material that `Server.updateTls` replaces. */
export type ServerTlsUpdate = Pick<ServerTlsOptions, "key" | "cert" | "ca">;

/** Node's TLS server options for `tls`, validated (the listener adds ALPN: h2 and http/1.1). @internal */
export function secureServerOptions(tls: ServerTlsOptions): TlsOptions {
  checkKeyMaterial(tls, "listen");
  return {
    ...contextOptions(tls),
    // A client certificate is asked for whenever client CAs are given. Bad or
    // missing ones are refused per call (UNAVAILABLE, with the reason), not by
    // a silent drop of the connection, which is all Node does on its own.
    requestCert: tls.ca !== undefined || tls.requireClientCert === true,
    rejectUnauthorized: false,
  };
}

/** Replaces the key material of a TLS listener; connections made afterwards use it. @internal */
export function updateListenerTls(listener: HttpListener, current: ServerTlsOptions, update: ServerTlsUpdate): ServerTlsOptions {
  checkKeyMaterial(update, "updateTls");
  const next: ServerTlsOptions = { ...current, key: update.key, cert: update.cert, ...(update.ca !== undefined ? { ca: update.ca } : {}) };
  // Throws (and changes nothing) when the key does not match the certificate.
  listener.setSecureContext(contextOptions(next));
  return next;
}

function contextOptions(tls: ServerTlsUpdate): SecureContextOptions {
  return { key: tls.key, cert: tls.cert, ...(tls.ca !== undefined ? { ca: tls.ca } : {}) };
}

function checkKeyMaterial(tls: ServerTlsUpdate, where: string): void {
  const pem = (v: unknown) => typeof v === "string" || Buffer.isBuffer(v);
  if (!tls || !pem(tls.key) || !pem(tls.cert)) throw new TypeError(`${where}: tls needs key and cert (PEM strings or Buffers)`);
}

/**
 * For a listener with `requireClientCert`: why a connection's client
 * certificate is refused (none presented, or one that does not verify
 * against `ca`), or null when it is fine. Computed once per connection.
 * Refused connections get every call answered with UNAVAILABLE and this
 * reason; their handlers never run. The connection stays open: a GOAWAY
 * would race the client's next calls, which would then see a bare
 * REFUSED_STREAM instead of the reason. @internal
 */
export function createClientCertificateCheck(): (session: http2.Http2Session) => string | null {
  const refusals = new WeakMap<http2.Http2Session, string | null>();
  return (session) => {
    let refusal = refusals.get(session);
    if (refusal === undefined) {
      refusal = clientCertRefusal(session.socket as TLSSocket);
      refusals.set(session, refusal);
    }
    return refusal;
  };
}

function clientCertRefusal(socket: TLSSocket): string | null {
  if (socket.authorized) return null;
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.raw) return "TLS client certificate required: the client presented none";
  const code = String(socket.authorizationError ?? "");
  const why = clientCertProblems[code] ?? "it does not verify";
  return `TLS client certificate refused: ${why}${code ? ` (${code})` : ""}`;
}

const clientCertProblems: Record<string, string> = {
  CERT_HAS_EXPIRED: "it has expired",
  CERT_NOT_YET_VALID: "it is not valid yet",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "it is not signed by a CA this server trusts",
  UNABLE_TO_GET_ISSUER_CERT: "it is not signed by a CA this server trusts",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "it is not signed by a CA this server trusts",
  SELF_SIGNED_CERT_IN_CHAIN: "it chains to a CA this server does not trust",
  DEPTH_ZERO_SELF_SIGNED_CERT: "it is self-signed",
  CERT_REVOKED: "it was revoked",
  INVALID_PURPOSE: "it is not meant for client authentication",
};
