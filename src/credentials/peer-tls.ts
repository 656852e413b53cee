import type { Http2Session } from "node:http2";
import type { Socket } from "node:net";
import type { PeerCertificate as NodePeerCertificate, TLSSocket } from "node:tls";

/** A certificate the peer presented, reduced to what authorization decisions use. */
export interface PeerCertificate {
  /** The subject's common name (CN), if any. */
  readonly commonName: string | undefined;
  /** The subject's fields as OpenSSL names them (`CN`, `O`, `OU`, …). */
  readonly subject: Readonly<Record<string, string | readonly string[]>>;
  /** Subject alternative names as `DNS:x`, `IP Address:1.2.3.4`, `URI:spiffe://…`. */
  readonly subjectAltNames: readonly string[];
  /** The issuer's common name, if any. */
  readonly issuerCommonName: string | undefined;
  /** Hex serial number. */
  readonly serialNumber: string;
  /** SHA-256 fingerprint, colon-separated hex. */
  readonly fingerprint256: string;
  readonly validFrom: Date;
  readonly validTo: Date;
  /** The DER bytes. */
  readonly raw: Uint8Array;
}

/** What a server knows about the TLS connection a call came in on. */
export interface PeerTlsInfo {
  /** Negotiated protocol version, e.g. `TLSv1.3`. */
  readonly protocol: string;
  /** Negotiated ALPN protocol: always `h2` for gRPC. */
  readonly alpnProtocol: string | undefined;
  /** Whether the client's certificate was verified against the server's `ca`. */
  readonly authorized: boolean;
  /** Why the client certificate was not verified (an OpenSSL code), when it was not. */
  readonly authorizationError: string | undefined;
  /** The client certificate (mTLS), when one was presented. */
  readonly certificate: PeerCertificate | undefined;
}

const cache = new WeakMap<Http2Session, PeerTlsInfo | null>();

/** The TLS facts of `session`, computed once per connection; undefined for plain text. @internal */
export function peerTlsOf(session: Http2Session | undefined): PeerTlsInfo | undefined {
  if (!session) return undefined;
  let info = cache.get(session);
  if (info === undefined) {
    info = session.encrypted ? readTls(session.socket as TLSSocket, session.alpnProtocol) : null;
    cache.set(session, info);
  }
  return info ?? undefined;
}

/** The TLS facts of an HTTP/1.1 request's socket; undefined for plain text. @internal */
export function peerTlsOfSocket(socket: Socket): PeerTlsInfo | undefined {
  const tls = socket as TLSSocket;
  return tls.encrypted ? readTls(tls, tls.alpnProtocol || undefined) : undefined;
}

function readTls(socket: TLSSocket, alpnProtocol: string | undefined): PeerTlsInfo {
  const cert = socket.getPeerCertificate();
  const presented = cert !== null && typeof cert === "object" && cert.raw !== undefined;
  const error = socket.authorizationError as unknown;
  return Object.freeze({
    protocol: socket.getProtocol() ?? "",
    alpnProtocol,
    authorized: socket.authorized === true,
    authorizationError: error === null || error === undefined ? undefined : String(error),
    certificate: presented ? toCertificate(cert) : undefined,
  });
}

function toCertificate(c: NodePeerCertificate): PeerCertificate {
  const subject = (c.subject ?? {}) as unknown as Record<string, string | string[]>;
  const issuer = (c.issuer ?? {}) as unknown as Record<string, string | string[]>;
  return Object.freeze({
    commonName: first(subject["CN"]),
    subject: Object.freeze({ ...subject }),
    subjectAltNames: c.subjectaltname ? c.subjectaltname.split(", ") : [],
    issuerCommonName: first(issuer["CN"]),
    serialNumber: c.serialNumber,
    fingerprint256: c.fingerprint256,
    validFrom: new Date(c.valid_from),
    validTo: new Date(c.valid_to),
    raw: new Uint8Array(c.raw),
  });
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
