// The rules and examples of google/api/http.proto, each both ways: the HTTP
// request a rule maps to a gRPC request message, and the gRPC response to
// the JSON an HTTP client gets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { create, equals, toJson, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { EmptySchema } from "@bufbuild/protobuf/wkt";
import { Code } from "../../src/status/code.js";
import { RpcError } from "../../src/status/rpc-error.js";
import { createDetail } from "../../src/status/details.js";
import { ErrorInfoSchema } from "../../src/status/gen/google/rpc/error_details_pb.js";
import { httpBindings } from "../../src/transcoding/http-rule.js";
import { RestRoutes, type RestMatch } from "../../src/transcoding/rest-routes.js";
import { decodeRequest } from "../../src/transcoding/request-mapping.js";
import { errorJson, responseJson, restRegistry } from "../../src/transcoding/rest-codec.js";
import { httpStatusFromCode } from "../../src/status/http-status.js";
import {
  BadRules,
  CancelOperationRequestSchema,
  Conflicting,
  GetMessageByNameRequestSchema,
  GetMessageRequestSchema,
  Kind,
  MessageSchema,
  Messaging,
  SearchRequestSchema,
  SearchResponseSchema,
  UpdateMessageRequestSchema,
  UserMessageRequestSchema,
} from "../gen/tsgrpc/transcoding/v1/messaging_pb.js";

const registry = restRegistry(undefined);
const routes = new RestRoutes();
routes.add(Messaging);

function request(method: string, url: string, body?: unknown) {
  const m = routes.match(method, url);
  if (m.kind !== "match") assert.fail(`${method} ${url}: ${JSON.stringify(m)}`);
  const match = m as RestMatch;
  const bytes = body === undefined ? new Uint8Array() : new TextEncoder().encode(typeof body === "string" ? body : JSON.stringify(body));
  return { method: match.binding.method.name, message: decodeRequest(match.binding, match.pathValues, match.query, bytes, registry) };
}

interface RequestCase<D extends DescMessage> {
  rule: string;
  http: [method: string, url: string, body?: unknown];
  rpc: string;
  schema: D;
  grpc: MessageInitShape<D>;
}

function rc<D extends DescMessage>(c: RequestCase<D>): RequestCase<DescMessage> {
  return c as unknown as RequestCase<DescMessage>;
}

const requestCases: RequestCase<DescMessage>[] = [
  rc({ rule: "path variable", http: ["GET", "/v1/messages/123456"], rpc: "GetMessage", schema: GetMessageRequestSchema, grpc: { messageId: "123456" } }),
  rc({
    rule: "fields not bound by the path are query parameters, nested ones dotted",
    http: ["GET", "/v1/messages/123456?revision=2&sub.subfield=foo"],
    rpc: "GetMessage",
    schema: GetMessageRequestSchema,
    grpc: { messageId: "123456", revision: 2n, sub: { subfield: "foo" } },
  }),
  rc({
    rule: "query parameters by JSON name too",
    http: ["GET", "/v1/messages/1?userId=u"],
    rpc: "GetMessage",
    schema: GetMessageRequestSchema,
    grpc: { messageId: "1", userId: "u" },
  }),
  rc({ rule: "variable with a template: {name=messages/*}", http: ["GET", "/v3/messages/123456"], rpc: "GetMessageByName", schema: GetMessageByNameRequestSchema, grpc: { name: "messages/123456" } }),
  rc({
    rule: "named body field",
    http: ["PATCH", "/v1/messages/123456", { text: "Hi!" }],
    rpc: "UpdateMessage",
    schema: UpdateMessageRequestSchema,
    grpc: { messageId: "123456", message: { text: "Hi!" } },
  }),
  rc({
    rule: "body *: every field not bound by the path is in the body",
    http: ["PATCH", "/v2/messages/123456", { text: "Hi!" }],
    rpc: "UpdateMessageStar",
    schema: MessageSchema,
    grpc: { messageId: "123456", text: "Hi!" },
  }),
  rc({
    rule: "path variables win over the body",
    http: ["PATCH", "/v2/messages/123456", { message_id: "other", text: "x" }],
    rpc: "UpdateMessageStar",
    schema: MessageSchema,
    grpc: { messageId: "123456", text: "x" },
  }),
  rc({
    rule: "additional_bindings",
    http: ["GET", "/v1/users/me/messages/123456"],
    rpc: "GetMessage",
    schema: GetMessageRequestSchema,
    grpc: { userId: "me", messageId: "123456" },
  }),
  rc({ rule: "{name=messages/*} matches only its literal", http: ["GET", "/v3/messages/a%2Fb"], rpc: "GetMessageByName", schema: GetMessageByNameRequestSchema, grpc: { name: "messages/a%2Fb" } }),
  rc({
    rule: "custom verb and ** variable",
    http: ["POST", "/v1/operations/a/b/c:cancel", { reason: "why" }],
    rpc: "CancelOperation",
    schema: CancelOperationRequestSchema,
    grpc: { name: "operations/a/b/c", reason: "why" },
  }),
  rc({
    rule: "multi-segment variables keep %2F, decode the rest",
    http: ["POST", "/v1/operations/a%2Fb/c%20d:cancel"],
    rpc: "CancelOperation",
    schema: CancelOperationRequestSchema,
    grpc: { name: "operations/a%2Fb/c d" },
  }),
  rc({
    rule: "single-segment variables decode everything",
    http: ["GET", "/v1/messages/a%2Fb%3Fc%C3%A9"],
    rpc: "GetMessage",
    schema: GetMessageRequestSchema,
    grpc: { messageId: "a/b?cé" },
  }),
  rc({
    rule: "nested field path {user.id}",
    http: ["GET", "/v1/people/42/messages/m1"],
    rpc: "GetUserMessage",
    schema: UserMessageRequestSchema,
    grpc: { user: { id: "42" }, messageId: "m1" },
  }),
  rc({
    rule: "nested field path with a template {user.id=projects/*/users/*}",
    http: ["GET", "/v1/projects/p/users/u/messages/m1?user.display_name=Ann"],
    rpc: "GetUserMessage",
    schema: UserMessageRequestSchema,
    grpc: { user: { id: "projects/p/users/u", displayName: "Ann" }, messageId: "m1" },
  }),
  rc({
    rule: "query: repeated, nested, enums by name and number, well-known types, bytes, 64-bit",
    http: [
      "GET",
      "/v1/search?tags=a&tags=b&filter.min_length=3&filter.kind=KIND_TASK&filter.inner.minLength=1&kind=1&kinds=KIND_NOTE&kinds=2" +
        "&after=2024-01-02T03:04:05Z&within=1.5s&limit=10&exact=true&token=AQID&score=0.25&big=18446744073709551615&mask=a.b,c&pages=1&pages=2&flag=false",
    ],
    rpc: "Search",
    schema: SearchRequestSchema,
    grpc: {
      tags: ["a", "b"],
      filter: { minLength: 3, kind: Kind.TASK, inner: { minLength: 1 } },
      kind: Kind.NOTE,
      kinds: [Kind.NOTE, Kind.TASK],
      after: { seconds: 1704164645n, nanos: 0 },
      within: { seconds: 1n, nanos: 500_000_000 },
      limit: 10,
      exact: true,
      token: new Uint8Array([1, 2, 3]),
      score: 0.25,
      big: 18446744073709551615n,
      mask: { paths: ["a.b", "c"] },
      pages: [1, 2],
      flag: false,
    },
  }),
  rc({ rule: "no query, no body: the empty request", http: ["GET", "/v1/search"], rpc: "Search", schema: SearchRequestSchema, grpc: {} }),
  rc({ rule: "a custom rule of kind * takes any method", http: ["DELETE", "/v1/any/3"], rpc: "Any", schema: GetMessageByNameRequestSchema, grpc: {} }),
];

test("HTTP requests map to gRPC request messages (http.proto rules)", () => {
  for (const c of requestCases) {
    const { method, message } = request(...c.http);
    assert.equal(method, c.rpc, c.rule);
    if (c.rpc === "Any") continue;
    const expected = create(c.schema, c.grpc);
    assert.ok(equals(c.schema, message as never, expected as never), `${c.rule}: got ${JSON.stringify(toJson(c.schema, message as never))}`);
  }
});

test("requests that break the rules fail with INVALID_ARGUMENT", () => {
  const bad: [string, string, unknown, RegExp][] = [
    ["GET", "/v1/messages/1?nope=1", undefined, /unknown query parameter "nope"/],
    ["GET", "/v1/messages/1?message_id=2", undefined, /bound by the path/],
    ["GET", "/v1/messages/1?revision=x", undefined, /bad request for .*GetMessageRequest/],
    ["GET", "/v1/search?exact=yes", undefined, /not a boolean/],
    ["GET", "/v1/search?kind=KIND_NOPE", undefined, /bad request/],
    ["GET", "/v1/search?labels=x", undefined, /unknown query parameter/],
    ["GET", "/v1/search?filters.min_length=1", undefined, /unknown query parameter/],
    ["GET", "/v1/search?extra=1", undefined, /unknown query parameter/],
    ["GET", "/v1/search?filter=1", undefined, /unknown query parameter/],
    ["GET", "/v1/search", { a: 1 }, /takes no request body/],
    ["PATCH", "/v2/messages/1?text=x", { text: "y" }, /takes no query parameters/],
    ["PATCH", "/v2/messages/1", "[1]", /must be a JSON object/],
    ["PATCH", "/v2/messages/1", "{", /not JSON/],
    ["PATCH", "/v2/messages/1", { unknown: 1 }, /bad request/],
    ["PATCH", "/v1/messages/1", "\"text\"", /bad request/],
  ];
  for (const [method, url, body, message] of bad) {
    assert.throws(
      () => request(method, url, body),
      (e: unknown) => e instanceof RpcError && e.code === Code.INVALID_ARGUMENT && message.test(e.rawMessage),
      `${method} ${url}`,
    );
  }
});

test("gRPC responses map to JSON: the whole message, or response_body", () => {
  const bindingOf = (name: string) => httpBindings(Messaging.methods.find((m) => m.name === name)!)[0]!;
  const get = bindingOf("GetMessage");
  assert.deepEqual(responseJson(MessageSchema, create(MessageSchema, { messageId: "1", text: "hi" }), get.responseBody, registry), { messageId: "1", text: "hi" });
  // Fields at their defaults are written too, as grpc-gateway does.
  assert.deepEqual(responseJson(MessageSchema, create(MessageSchema, { messageId: "1" }), get.responseBody, registry), { messageId: "1", text: "" });
  const text = bindingOf("GetText");
  assert.equal(responseJson(MessageSchema, create(MessageSchema, { text: "only this" }), text.responseBody, registry), "only this");
  const results = bindingOf("SearchResults");
  const res = create(SearchResponseSchema, { results: [{ messageId: "a" }, { messageId: "b", text: "t" }], total: 2 });
  assert.deepEqual(responseJson(SearchResponseSchema, res, results.responseBody, registry), [
    { messageId: "a", text: "" },
    { messageId: "b", text: "t" },
  ]);
  const search = bindingOf("Search");
  const full = responseJson(SearchResponseSchema, create(SearchResponseSchema, { echo: { kind: Kind.NOTE, big: 5n, within: { seconds: 2n } } }), search.responseBody, registry) as Record<string, any>;
  assert.equal(full.echo.kind, "KIND_NOTE");
  assert.equal(full.echo.big, "5");
  assert.equal(full.echo.within, "2s");
  assert.deepEqual(full.results, []);
  assert.deepEqual(responseJson(EmptySchema, create(EmptySchema), undefined, registry), {});
});

test("errors map to HTTP statuses and google.rpc.Status JSON with details", () => {
  const expected: [Code, number][] = [
    [Code.CANCELLED, 499], [Code.UNKNOWN, 500], [Code.INVALID_ARGUMENT, 400], [Code.DEADLINE_EXCEEDED, 504],
    [Code.NOT_FOUND, 404], [Code.ALREADY_EXISTS, 409], [Code.PERMISSION_DENIED, 403], [Code.RESOURCE_EXHAUSTED, 429],
    [Code.FAILED_PRECONDITION, 400], [Code.ABORTED, 409], [Code.OUT_OF_RANGE, 400], [Code.UNIMPLEMENTED, 501],
    [Code.INTERNAL, 500], [Code.UNAVAILABLE, 503], [Code.DATA_LOSS, 500], [Code.UNAUTHENTICATED, 401],
  ];
  for (const [code, status] of expected) assert.equal(httpStatusFromCode(code), status, Code[code]);
  const err = new RpcError(Code.NOT_FOUND, "no such message", { details: [createDetail(ErrorInfoSchema, { reason: "GONE", domain: "example.com", metadata: { id: "1" } })] });
  assert.deepEqual(errorJson(err, registry), {
    code: 5,
    message: "no such message",
    details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "GONE", domain: "example.com", metadata: { id: "1" } }],
  });
  // A detail of a type the registry does not know keeps its bytes.
  const odd = new RpcError(Code.INTERNAL, "x", { details: [{ type: "acme.Unknown", value: new Uint8Array([8, 1]) }] });
  assert.deepEqual(errorJson(odd, registry), { code: 13, message: "x", details: [{ "@type": "type.googleapis.com/acme.Unknown", value: "CAE=" }] });
  assert.deepEqual(errorJson(new RpcError(Code.UNAVAILABLE, "down"), registry), { code: 14, message: "down", details: [] });
});

test("rules http.proto forbids are refused when the service is registered", () => {
  const expected: Record<string, RegExp> = {
    RepeatedVar: /must not refer to repeated or map fields/,
    MessageVar: /must refer to fields of a primitive type/,
    UnknownVar: /has no field "nope"/,
    UnknownBody: /body "nope" is not a field/,
    GetWithBody: /a GET rule must not have a body/,
    BadTemplate: /expected '}'/,
    UnknownResponseBody: /response_body "nope" is not a field/,
    NestedBindings: /must not have additional_bindings of their own/,
    NoPattern: /has no pattern/,
    BodyAlsoInPath: /also bound by the path/,
    ClientStream: /a method with a request stream needs a body rule/,
  };
  for (const method of BadRules.methods) {
    assert.throws(() => httpBindings(method), (e: unknown) => e instanceof TypeError && e.message.includes(`tsgrpc.transcoding.v1.BadRules.${method.name}`) && expected[method.name]!.test(e.message), method.name);
  }
  assert.equal(Object.keys(expected).length, BadRules.methods.length);
  const r = new RestRoutes();
  assert.throws(() => r.add(Conflicting), /conflicting HTTP routes: GET \/v1\/things\/\{user_id\} \(tsgrpc.transcoding.v1.Conflicting.B\) matches the same paths as GET \/v1\/things\/\{message_id\} \(tsgrpc.transcoding.v1.Conflicting.A\)/);
  assert.equal(r.size, 0);
  r.add(Messaging);
  const before = r.size;
  assert.throws(() => r.add(Messaging), /conflicting HTTP routes/);
  assert.equal(r.size, before, "a refused service adds no route");
  assert.equal(httpBindings(Messaging.methods.find((m) => m.name === "Plain")!).length, 0);
});

test("property: any request to a route yields a message or an RpcError, never another exception", async () => {
  const fc = (await import("fast-check")).default;
  const key = fc.constantFrom("tags", "filter.kind", "filter.inner.inner.min_length", "kind", "kinds", "after", "within", "limit", "exact", "token", "big", "mask", "flag", "x", "", "filter.", ".", "labels", "score");
  const value = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("1", "-1", "1e400", "NaN", "KIND_NOTE", "true", "%zz", "2024-13-01T00:00:00Z", "99999999999999999999"));
  const urls = fc.array(fc.tuple(key, value), { maxLength: 6 }).map((kv) => "/v1/search?" + kv.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&"));
  const bodies = fc.oneof(fc.string({ maxLength: 20 }), fc.json({ maxDepth: 3 }));
  fc.assert(
    fc.property(urls, bodies, (url, body) => {
      for (const [m, u, b] of [["GET", url, undefined], ["PATCH", "/v2/messages/x", body], ["PATCH", "/v1/messages/x", body]] as const) {
        try {
          request(m, u, b);
        } catch (e) {
          assert.ok(e instanceof RpcError && e.code === Code.INVALID_ARGUMENT, String(e));
        }
      }
    }),
    { numRuns: 1000 },
  );
});
