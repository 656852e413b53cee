// The bearer auth interceptor pair and the JWT interceptor, end to end.
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import { KeyObject, createPublicKey, randomBytes } from "node:crypto";
import { SignJWT, exportJWK, generateKeyPair, type JWTPayload } from "jose";
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { grpcJsService } from "../../interop/grpc-js/service-definition.js";
import { Code, RpcError, createChannel, createClient, createServer, type Interceptor, type Server, type Channel } from "../../src/index.js";
import {
  callerKey,
  createBearerAuthInterceptor,
  createBearerTokenInterceptor,
  createJwtAuthInterceptor,
  type Caller,
} from "../../src/interceptors/index.js";
import { EchoService, EchoRequestSchema, type EchoRequest } from "../gen/tsgrpc/test/v1/echo_pb.js";
import { callKind, kinds, plainEcho, rejection, textEcho } from "./interceptor-helpers.js";
import { assertNoLeaks } from "./leak-check.js";

const servers: Server[] = [];
const channels: Channel[] = [];

/** A server with `auth` in front of a text echo; `callers` gets what each handler saw. */
async function serve(auth: Interceptor, callers: (Caller | undefined)[] = []) {
  const server = createServer({ interceptors: [auth] }).service(EchoService, textEcho((_k, ctx) => callers.push(ctx.values.get(callerKey))));
  servers.push(server);
  const { port } = await server.listen("127.0.0.1:0");
  const channel = createChannel(`http://127.0.0.1:${port}`);
  channels.push(channel);
  return { channel, callers };
}

after(async () => {
  for (const c of channels) c.close();
  for (const s of servers) await s.close({ graceMs: 500 });
  await assertNoLeaks();
});

describe("bearer auth interceptor pair", { timeout: 30_000 }, () => {
  const users = new Map([
    ["tok-alice", { id: "alice", claims: { role: "admin" } }],
    ["tok-bob", { id: "bob", claims: { role: "reader" } }],
  ]);
  const auth = createBearerAuthInterceptor({
    verify(token) {
      if (token === "tok-banned") throw new RpcError(Code.PERMISSION_DENIED, "banned");
      return users.get(token);
    },
  });

  test("the caller reaches the handler on all four kinds; a token function is asked per call (refresh)", async () => {
    const { channel, callers } = await serve(auth);
    let n = 0;
    const client = createClient(EchoService, channel, {
      interceptors: [createBearerTokenInterceptor({ token: async () => (n++ % 2 === 0 ? "tok-alice" : "tok-bob") })],
    });
    for (const kind of kinds) assert.deepEqual(await callKind(client, kind, "a"), plainEcho(kind, "a"));
    assert.deepEqual(
      callers.map((c) => c?.id),
      ["alice", "bob", "alice", "bob"],
    );
    assert.equal(callers[0]?.claims["role"], "admin");
  });

  test("missing, malformed and unknown tokens: UNAUTHENTICATED on all four kinds, handler never runs", async () => {
    const { channel, callers } = await serve(auth);
    const none = createClient(EchoService, channel);
    const unknown = createClient(EchoService, channel, { interceptors: [createBearerTokenInterceptor({ token: "tok-mallory" })] });
    for (const kind of kinds) {
      const e1 = await rejection(callKind(none, kind, "x"));
      assert.equal(e1.code, Code.UNAUTHENTICATED);
      assert.match(e1.rawMessage, /missing credentials/);
      const e2 = await rejection(callKind(none, kind, "x", { metadata: { authorization: "Basic dXNlcjpwdw==" } }));
      assert.equal(e2.code, Code.UNAUTHENTICATED);
      assert.match(e2.rawMessage, /not a bearer token/);
      const e3 = await rejection(callKind(unknown, kind, "x"));
      assert.equal(e3.code, Code.UNAUTHENTICATED);
      assert.equal(e3.rawMessage, "invalid bearer token");
    }
    assert.equal(callers.length, 0);
  });

  test("verify may refuse with its own status", async () => {
    const { channel } = await serve(auth);
    const client = createClient(EchoService, channel, { interceptors: [createBearerTokenInterceptor({ token: "tok-banned" })] });
    const e = await rejection(client.unary({}));
    assert.equal(e.code, Code.PERMISSION_DENIED);
    assert.equal(e.rawMessage, "banned");
  });

  test("misuse is a TypeError at construction", () => {
    assert.throws(() => createBearerTokenInterceptor({ token: "has space" }), TypeError);
    assert.throws(() => createBearerTokenInterceptor({ token: "" }), TypeError);
    assert.throws(() => createBearerAuthInterceptor({} as never), TypeError);
  });
});

describe("JWT auth interceptor (jose)", { timeout: 30_000 }, () => {
  const secret = randomBytes(32);
  const now = () => Math.floor(Date.now() / 1000);
  const hs256 = (claims: JWTPayload, key: Uint8Array = secret) =>
    new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(key);
  const tokenClient = (channel: Channel, token: string) =>
    createClient(EchoService, channel, { interceptors: [createBearerTokenInterceptor({ token })] });

  test("HS256: valid claims reach the handler on all four kinds", async () => {
    const { channel, callers } = await serve(
      createJwtAuthInterceptor({ key: secret, algorithms: ["HS256"], audience: "echo", issuer: "https://issuer.test/" }),
    );
    const token = await hs256({ sub: "user-1", aud: "echo", iss: "https://issuer.test/", exp: now() + 60, scope: "read write" });
    const client = tokenClient(channel, token);
    for (const kind of kinds) assert.deepEqual(await callKind(client, kind, "j"), plainEcho(kind, "j"));
    assert.equal(callers.length, 4);
    for (const c of callers) {
      assert.equal(c?.id, "user-1");
      assert.equal(c?.claims["scope"], "read write");
      assert.equal(c?.claims["aud"], "echo");
    }
  });

  test("RS256 with a public KeyObject, ES256 with a local JWKS", async () => {
    const rsa = await generateKeyPair("RS256", { extractable: true });
    // As a server would load it: a PEM file turned into a KeyObject.
    const pem = KeyObject.from(rsa.publicKey).export({ type: "spki", format: "pem" });
    const rs = await serve(createJwtAuthInterceptor({ key: createPublicKey(pem), algorithms: ["RS256"] }));
    const rsToken = await new SignJWT({ sub: "rs" }).setProtectedHeader({ alg: "RS256" }).setExpirationTime("1m").sign(rsa.privateKey);
    await tokenClient(rs.channel, rsToken).unary({});
    assert.equal(rs.callers[0]?.id, "rs");

    const ec = await generateKeyPair("ES256", { extractable: true });
    const jwk = { ...(await exportJWK(ec.publicKey)), kid: "ec-1", alg: "ES256" };
    const es = await serve(createJwtAuthInterceptor({ jwks: { keys: [jwk] }, algorithms: ["ES256"] }));
    const esToken = await new SignJWT({ sub: "es" }).setProtectedHeader({ alg: "ES256", kid: "ec-1" }).setExpirationTime("1m").sign(ec.privateKey);
    await tokenClient(es.channel, esToken).unary({});
    assert.equal(es.callers[0]?.id, "es");
    // A token whose key id the set does not have.
    const other = await generateKeyPair("ES256");
    const stranger = await new SignJWT({ sub: "x" }).setProtectedHeader({ alg: "ES256", kid: "ec-2" }).setExpirationTime("1m").sign(other.privateKey);
    const e = await rejection(tokenClient(es.channel, stranger).unary({}));
    assert.equal(e.code, Code.UNAUTHENTICATED);
    assert.match(e.rawMessage, /no key of the key set matches/);
  });

  test("ES256 with a remote JWKS (fetched over loopback HTTP); UNAVAILABLE when the set cannot be fetched", async () => {
    const ec = await generateKeyPair("ES256", { extractable: true });
    const jwk = { ...(await exportJWK(ec.publicKey)), kid: "remote-1", alg: "ES256" };
    let fetches = 0;
    const jwksServer = http.createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { "content-type": "application/json", connection: "close" }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwksServer.listen(0, "127.0.0.1", r));
    const url = new URL(`http://127.0.0.1:${(jwksServer.address() as { port: number }).port}/.well-known/jwks.json`);
    try {
      const { channel, callers } = await serve(createJwtAuthInterceptor({ jwks: url, algorithms: ["ES256"], audience: "echo" }));
      const token = await new SignJWT({ sub: "remote", aud: "echo" }).setProtectedHeader({ alg: "ES256", kid: "remote-1" }).setExpirationTime("1m").sign(ec.privateKey);
      const client = tokenClient(channel, token);
      await client.unary({});
      await client.unary({});
      assert.deepEqual(callers.map((c) => c?.id), ["remote", "remote"]);
      assert.equal(fetches, 1, "the key set is cached");
    } finally {
      jwksServer.closeAllConnections();
      await new Promise((r) => jwksServer.close(r));
    }
    // The same URL, now with nothing listening.
    const down = await serve(createJwtAuthInterceptor({ jwks: url, algorithms: ["ES256"], jwksTimeoutMs: 2000 }));
    const token = await new SignJWT({ sub: "remote" }).setProtectedHeader({ alg: "ES256", kid: "remote-1" }).setExpirationTime("1m").sign(ec.privateKey);
    const e = await rejection(tokenClient(down.channel, token).unary({}));
    assert.equal(e.code, Code.UNAVAILABLE);
    assert.match(e.rawMessage, /JSON Web Key Set could not be fetched/);
  });

  test("rejections: each with UNAUTHENTICATED and a message that says why", async () => {
    const { channel, callers } = await serve(
      createJwtAuthInterceptor({ key: secret, algorithms: ["HS256"], audience: "echo", issuer: "https://issuer.test/" }),
    );
    const good = { sub: "u", aud: "echo", iss: "https://issuer.test/" };
    const rsa = await generateKeyPair("RS256");
    const cases: [string, string | Promise<string> | undefined, RegExp][] = [
      ["missing", undefined, /missing credentials/],
      ["malformed", "not.a.jwt", /not a well-formed JWT/],
      ["bad signature", hs256({ ...good, exp: now() + 60 }, randomBytes(32)), /signature does not verify/],
      ["expired", hs256({ ...good, exp: now() - 120 }), /has expired/],
      ["not yet valid", hs256({ ...good, exp: now() + 600, nbf: now() + 300 }), /not valid yet/],
      ["wrong audience", hs256({ ...good, aud: "other", exp: now() + 60 }), /not meant for this audience/],
      ["wrong issuer", hs256({ ...good, iss: "https://evil.test/", exp: now() + 60 }), /issuer is not trusted/],
      ["no exp", hs256({ ...good }), /"exp" claim is missing/],
      ["algorithm not accepted", new SignJWT({ ...good, exp: now() + 60 }).setProtectedHeader({ alg: "RS256" }).sign(rsa.privateKey), /algorithm is not accepted/],
    ];
    for (const [name, tokenP, message] of cases) {
      const token = await tokenP;
      const client = token === undefined ? createClient(EchoService, channel) : tokenClient(channel, token);
      for (const kind of kinds) {
        const e = await rejection(callKind(client, kind, "x"));
        assert.equal(e.code, Code.UNAUTHENTICATED, `${name} (${kind})`);
        assert.match(e.rawMessage, message, `${name} (${kind})`);
      }
    }
    assert.equal(callers.length, 0, "no rejected call reached a handler");
  });

  test("clock skew: an expiry a little in the past passes within clockToleranceSec", async () => {
    const strict = await serve(createJwtAuthInterceptor({ key: secret, algorithms: ["HS256"] }));
    const lenient = await serve(createJwtAuthInterceptor({ key: secret, algorithms: ["HS256"], clockToleranceSec: 60 }));
    const token = await hs256({ sub: "skewed", exp: now() - 20 });
    const e = await rejection(tokenClient(strict.channel, token).unary({}));
    assert.match(e.rawMessage, /has expired/);
    await tokenClient(lenient.channel, token).unary({});
    assert.equal(lenient.callers[0]?.id, "skewed");
  });

  test("misconfiguration is a TypeError at construction", () => {
    assert.throws(() => createJwtAuthInterceptor({ algorithms: ["HS256"] }), TypeError);
    assert.throws(() => createJwtAuthInterceptor({ key: secret, jwks: { keys: [] }, algorithms: ["HS256"] }), TypeError);
    assert.throws(() => createJwtAuthInterceptor({ key: secret, algorithms: [] }), TypeError);
    assert.throws(() => createJwtAuthInterceptor({ key: secret, algorithms: ["HS256"], clockToleranceSec: -1 }), TypeError);
  });
});

describe("auth interceptors against grpc-js", { timeout: 30_000 }, () => {
  const secret = randomBytes(32);
  const definition = grpcJsService(EchoService);

  test("grpc-js client with a JWT → tsgrpc JWT interceptor: accepted with claims; expired is UNAUTHENTICATED with the reason", async () => {
    const { channel, callers } = await serve(createJwtAuthInterceptor({ key: secret, algorithms: ["HS256"], audience: "echo" }));
    const port = Number(new URL(channel.target).port);
    const Ctor = grpc.makeGenericClientConstructor(definition, "EchoService");
    const c = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as Record<string, Function> & grpc.Client;
    const call = (token: string) =>
      new Promise<grpc.ServiceError | null>((resolve) => {
        const md = new grpc.Metadata();
        md.set("authorization", `Bearer ${token}`);
        c.unary(create(EchoRequestSchema, {}), md, (e: grpc.ServiceError | null) => resolve(e));
      });
    const good = await new SignJWT({ sub: "grpc-js-user", aud: "echo" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1m").sign(secret);
    assert.equal(await call(good), null);
    assert.equal(callers[0]?.id, "grpc-js-user");
    const old = await new SignJWT({ sub: "x", aud: "echo", exp: Math.floor(Date.now() / 1000) - 60 }).setProtectedHeader({ alg: "HS256" }).sign(secret);
    const e = await call(old);
    assert.equal(e?.code, grpc.status.UNAUTHENTICATED);
    assert.equal(e?.details, "invalid token: the token has expired");
    c.close();
  });

  test("tsgrpc bearer token interceptor → grpc-js server: the server reads the authorization metadata", async () => {
    const server = new grpc.Server();
    const seen: string[] = [];
    server.addService(definition, {
      unary(call: grpc.ServerUnaryCall<EchoRequest, object>, cb: grpc.sendUnaryData<object>) {
        seen.push(String(call.metadata.get("authorization")[0]));
        cb(null, {});
      },
    } as grpc.UntypedServiceImplementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    const ch = createChannel(`http://127.0.0.1:${port}`);
    await createClient(EchoService, ch, { interceptors: [createBearerTokenInterceptor({ token: async () => "t0k" })] }).unary({});
    assert.deepEqual(seen, ["Bearer t0k"]);
    ch.close();
    await new Promise<void>((r) => server.tryShutdown(() => r()));
  });
});
