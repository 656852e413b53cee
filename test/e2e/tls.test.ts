// TLS and mTLS end to end: tsgrpc ↔ tsgrpc, and against @grpc/grpc-js both
// ways; every failure is UNAVAILABLE on the client with a message that names
// its cause. Certificates are made at test time (test-certs.ts).
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import * as tls from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import {
  Code,
  createChannel,
  createClient,
  createServer,
  type ChannelTlsOptions,
  type HandlerContext,
  type PeerTlsInfo,
  type Server,
  type ServerTlsOptions,
  type Channel,
} from "../../src/index.js";
import { grpcJsService } from "../../interop/grpc-js/service-definition.js";
import { EchoService, EchoRequestSchema, type EchoRequest } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { callKind, kinds, plainEcho, rejection, textEcho } from "./interceptor-helpers.js";
import { testPki } from "./test-certs.js";
import { assertNoLeaks } from "./leak-check.js";

const pki = testPki();
const servers: Server[] = [];
const channels: Channel[] = [];

/** A tsgrpc server on TLS; `seen` collects the TLS facts of each call. */
async function tlsServer(listenTls: ServerTlsOptions) {
  const seen: (PeerTlsInfo | undefined)[] = [];
  const server = createServer().service(EchoService, textEcho((_k, ctx: HandlerContext) => seen.push(ctx.tls)));
  servers.push(server);
  const { port } = await server.listen({ host: "127.0.0.1", port: 0, tls: listenTls });
  return { server, port, seen };
}

function channelTo(port: number, channelTls: ChannelTlsOptions, host = "127.0.0.1") {
  const channel = createChannel(`https://${host}:${port}`, { tls: channelTls });
  channels.push(channel);
  return createClient(EchoService, channel);
}

after(async () => {
  for (const c of channels) c.close();
  for (const s of servers) await s.close({ graceMs: 500 });
  await assertNoLeaks();
});

describe("TLS", { timeout: 60_000 }, () => {
  test("server TLS with a custom CA on the client: all four kinds; the handler sees TLSv1.3 and ALPN h2", async () => {
    const { port, seen } = await tlsServer(pki.server);
    const client = channelTo(port, { ca: pki.ca });
    for (const kind of kinds) assert.deepEqual(await callKind(client, kind, "s"), plainEcho(kind, "s"));
    assert.equal(seen.length, 4);
    for (const info of seen) {
      assert.equal(info?.protocol, "TLSv1.3");
      assert.equal(info?.alpnProtocol, "h2");
      assert.equal(info?.certificate, undefined, "no client certificate was asked for");
    }
  });

  test("mTLS: the handler reads the client's certificate identity", async () => {
    const { port, seen } = await tlsServer({ ...pki.server, ca: pki.ca, requireClientCert: true });
    const client = channelTo(port, { ca: pki.ca, cert: pki.client.cert, key: pki.client.key });
    for (const kind of kinds) await callKind(client, kind, "m");
    for (const info of seen) {
      assert.equal(info?.authorized, true);
      assert.equal(info?.certificate?.commonName, "alice");
      assert.deepEqual(info?.certificate?.subjectAltNames, ["URI:spiffe://tsgrpc.test/alice"]);
      assert.equal(info?.certificate?.issuerCommonName, "tsgrpc test CA");
      assert.match(info?.certificate?.fingerprint256 ?? "", /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      assert.ok(info!.certificate!.validTo.getTime() > Date.now());
    }
  });

  test("optional client certificates: with ca but without requireClientCert, calls without one go through unauthorized", async () => {
    const { port, seen } = await tlsServer({ ...pki.server, ca: pki.ca });
    await channelTo(port, { ca: pki.ca }).unary({});
    await channelTo(port, { ca: pki.ca, ...pki.client }).unary({});
    assert.equal(seen[0]?.authorized, false);
    assert.equal(seen[0]?.certificate, undefined);
    assert.equal(seen[1]?.authorized, true);
    assert.equal(seen[1]?.certificate?.commonName, "alice");
  });

  test("server name override: checked against the certificate and sent as SNI", async () => {
    const { port } = await tlsServer(pki.server);
    await channelTo(port, { ca: pki.ca, serverName: "server.test" }).unary({});
    const e = await rejection(channelTo(port, { ca: pki.ca, serverName: "elsewhere.test" }).unary({}));
    assert.equal(e.code, Code.UNAVAILABLE);
    assert.match(e.rawMessage, /certificate does not name this server.*elsewhere\.test.*ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  const failures: [string, ServerTlsOptions, ChannelTlsOptions, RegExp][] = [
    ["wrong CA", pki.server, { ca: pki.otherCa }, /^TLS handshake failed: the server's certificate is not signed by a trusted CA \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)$/],
    ["the system roots only", pki.server, {}, /^TLS handshake failed: the server's certificate is not signed by a trusted CA/],
    ["expired server certificate", pki.expiredServer, { ca: pki.ca }, /^TLS handshake failed: the server's certificate has expired \(CERT_HAS_EXPIRED\)$/],
    ["missing client certificate", { ...pki.server, ca: pki.ca, requireClientCert: true }, { ca: pki.ca }, /^TLS client certificate required: the client presented none$/],
    ["expired client certificate", { ...pki.server, ca: pki.ca, requireClientCert: true }, { ca: pki.ca, ...pki.expiredClient }, /^TLS client certificate refused: it has expired \(CERT_HAS_EXPIRED\)$/],
    ["client certificate of an unknown CA", { ...pki.server, ca: pki.ca, requireClientCert: true }, { ca: pki.ca, ...pki.strangerClient }, /^TLS client certificate refused: it is not signed by a CA this server trusts/],
  ];
  for (const [name, serverTls, clientTls, message] of failures) {
    test(`${name}: UNAVAILABLE on all four kinds, with the cause in the message; the handler never runs`, async () => {
      const { port, seen } = await tlsServer(serverTls);
      const client = channelTo(port, clientTls);
      for (const kind of kinds) {
        const e = await rejection(callKind(client, kind, "x"));
        assert.equal(e.code, Code.UNAVAILABLE, `${kind}: ${e.message}`);
        assert.match(e.rawMessage, message, kind);
      }
      assert.equal(seen.length, 0);
    });
  }

  test("never a silent downgrade: a bare host:port needs tls or insecure; https to a plain-text server and http to a TLS server fail", async () => {
    assert.throws(() => createChannel("127.0.0.1:1"), /say how to connect/);
    assert.throws(() => createChannel("http://127.0.0.1:1", { tls: { ca: pki.ca } }), TypeError);
    assert.throws(() => createChannel("https://127.0.0.1:1", { insecure: true }), TypeError);
    const plain = createServer().service(EchoService, textEcho());
    servers.push(plain);
    const { port: plainPort } = await plain.listen("127.0.0.1:0");
    const e1 = await rejection(channelTo(plainPort, { ca: pki.ca }).unary({}));
    assert.equal(e1.code, Code.UNAVAILABLE);
    assert.match(e1.rawMessage, /did not answer in TLS/);
    const { port: tlsPort, seen } = await tlsServer(pki.server);
    const channel = createChannel(`http://127.0.0.1:${tlsPort}`);
    channels.push(channel);
    const e2 = await rejection(createClient(EchoService, channel).unary({}, { timeoutMs: 5000 }));
    assert.equal(e2.code, Code.UNAVAILABLE, e2.message);
    assert.equal(seen.length, 0);
  });

  test("ALPN: the server prefers h2, and takes http/1.1 (for the protocols made for it) from clients that offer only that", async () => {
    const { port } = await tlsServer(pki.server);
    const negotiated = await new Promise<string | false | null>((resolve, reject) => {
      const s = tls.connect({ host: "127.0.0.1", port, ca: pki.ca, ALPNProtocols: ["h2", "http/1.1"] }, () => {
        resolve(s.alpnProtocol);
        s.destroy();
      });
      s.on("error", reject);
    });
    assert.equal(negotiated, "h2");
    const http1 = await new Promise<string | false | null>((resolve, reject) => {
      const s = tls.connect({ host: "127.0.0.1", port, ca: pki.ca, ALPNProtocols: ["http/1.1"] }, () => {
        resolve(s.alpnProtocol);
        s.destroy();
      });
      s.on("error", reject);
    });
    assert.equal(http1, "http/1.1");
  });

  test("updateTls: new connections get the new certificate, open ones keep theirs", async () => {
    const { server, port } = await tlsServer(pki.server);
    const before = channelTo(port, { ca: pki.ca });
    await before.unary({});
    server.updateTls(pki.expiredServer);
    const e = await rejection(channelTo(port, { ca: pki.ca }).unary({}));
    assert.match(e.rawMessage, /CERT_HAS_EXPIRED/);
    await before.unary({});
    server.updateTls(pki.server2);
    const cn = await new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: "127.0.0.1", port, ca: pki.ca, ALPNProtocols: ["h2"] }, () => {
        resolve(String(s.getPeerCertificate().subject.CN));
        s.destroy();
      });
      s.on("error", reject);
    });
    assert.equal(cn, "server-2.test");
    await channelTo(port, { ca: pki.ca }).unary({});
    assert.throws(() => server.updateTls({ key: pki.client.key, cert: pki.server.cert }), /key/i);
    assert.throws(() => createServer().updateTls(pki.server), TypeError);
  });
});

describe("TLS against grpc-js", { timeout: 60_000 }, () => {
  const definition = grpcJsService(EchoService);
  const Ctor = grpc.makeGenericClientConstructor(definition, "EchoService");
  type GrpcJsClient = Record<string, Function> & grpc.Client;

  function grpcJsUnary(client: GrpcJsClient): Promise<grpc.ServiceError | null> {
    return new Promise((resolve) =>
      client.unary(create(EchoRequestSchema, {}), { deadline: Date.now() + 5000 }, (e: grpc.ServiceError | null) => resolve(e)),
    );
  }

  test("grpc-js client with mTLS → tsgrpc server: the handler sees its certificate", async () => {
    const { port, seen } = await tlsServer({ ...pki.server, ca: pki.ca, requireClientCert: true });
    const creds = grpc.credentials.createSsl(pki.ca, pki.client.key, pki.client.cert);
    const client = new Ctor(`localhost:${port}`, creds) as unknown as GrpcJsClient;
    assert.equal(await grpcJsUnary(client), null);
    assert.equal(seen[0]?.certificate?.commonName, "alice");
    client.close();
  });

  test("grpc-js client without a client certificate → tsgrpc mTLS server: UNAVAILABLE naming the cause", async () => {
    const { port, seen } = await tlsServer({ ...pki.server, ca: pki.ca, requireClientCert: true });
    const client = new Ctor(`localhost:${port}`, grpc.credentials.createSsl(pki.ca)) as unknown as GrpcJsClient;
    const e = await grpcJsUnary(client);
    assert.equal(e?.code, grpc.status.UNAVAILABLE);
    assert.match(e?.details ?? "", /TLS client certificate required/);
    assert.equal(seen.length, 0);
    client.close();
  });

  async function grpcJsServer(creds: grpc.ServerCredentials) {
    const server = new grpc.Server();
    const seen: string[] = [];
    server.addService(definition, {
      unary(call: grpc.ServerUnaryCall<EchoRequest, object>, cb: grpc.sendUnaryData<object>) {
        const cert = call.getAuthContext().sslPeerCertificate;
        seen.push(String(cert?.subject?.CN ?? ""));
        cb(null, {});
      },
    } as grpc.UntypedServiceImplementation);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", creds, (e, p) => (e ? reject(e) : resolve(p))));
    return { port, seen, close: () => new Promise<void>((r) => server.tryShutdown(() => r())) };
  }

  test("tsgrpc client with mTLS → grpc-js server; failures are UNAVAILABLE with a cause", async () => {
    const peer = await grpcJsServer(grpc.ServerCredentials.createSsl(pki.ca, [{ private_key: pki.server.key, cert_chain: pki.server.cert }], true));
    try {
      await channelTo(peer.port, { ca: pki.ca, ...pki.client }).unary({});
      assert.deepEqual(peer.seen, ["alice"]);
      const missing = await rejection(channelTo(peer.port, { ca: pki.ca }).unary({}));
      assert.equal(missing.code, Code.UNAVAILABLE);
      assert.match(missing.rawMessage, /requires a client certificate|refuses the client certificate/);
      const expired = await rejection(channelTo(peer.port, { ca: pki.ca, ...pki.expiredClient }).unary({}));
      assert.equal(expired.code, Code.UNAVAILABLE);
      assert.match(expired.rawMessage, /client certificate/);
      const wrongCa = await rejection(channelTo(peer.port, { ca: pki.otherCa, ...pki.client }).unary({}));
      assert.equal(wrongCa.code, Code.UNAVAILABLE);
      assert.match(wrongCa.rawMessage, /server's certificate (is not signed by a trusted CA|chains to a CA that is not trusted)/);
      assert.deepEqual(peer.seen, ["alice"]);
    } finally {
      for (const c of channels.splice(0)) c.close();
      await peer.close();
    }
  });
});
