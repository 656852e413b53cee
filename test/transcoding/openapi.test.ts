// The OpenAPI document: valid OpenAPI 3.1 by the official JSON schemas
// (@seriousme/openapi-schema-validator), operations as the rules say, and
// schemas that the server's real responses satisfy (Ajv, JSON Schema 2020-12).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import { createServer } from "../../src/index.js";
import { createOpenApiDocument } from "../../src/transcoding/index.js";
import { UserService } from "../../examples/users/gen/users/v1/users_pb.js";
import { createUserStore, userService } from "../../examples/users/user-service.js";
import { Messaging } from "../gen/tsgrpc/transcoding/v1/messaging_pb.js";
import { assertNoLeaks } from "../e2e/leak-check.js";
import { http1Request } from "./http-clients.js";

async function assertValidOpenApi(doc: object): Promise<void> {
  const result = await new Validator().validate(structuredClone(doc) as never);
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
}

test("the documents of the example and of every http.proto rule are valid OpenAPI 3.1", async () => {
  await assertValidOpenApi(createOpenApiDocument([UserService], { title: "Users", version: "1.0.0" }));
  await assertValidOpenApi(createOpenApiDocument([Messaging, UserService], { servers: [{ url: "http://127.0.0.1:50051" }], description: "all rules" }));
});

test("operations follow the rules: path and query parameters, bodies, response_body, streams, errors", () => {
  const doc = createOpenApiDocument([Messaging]) as any;
  assert.equal(doc.openapi, "3.1.0");
  const get = doc.paths["/v1/messages/{message_id}"].get;
  assert.equal(get.operationId, "tsgrpc.transcoding.v1.Messaging.GetMessage");
  assert.deepEqual(
    get.parameters.map((p: any) => `${p.in}:${p.name}`),
    ["path:message_id", "query:revision", "query:sub.subfield", "query:userId"],
  );
  assert.deepEqual(get.parameters.find((p: any) => p.name === "revision").schema, { type: "string", format: "int64", pattern: "^-?[0-9]+$" });
  assert.equal(doc.paths["/v1/users/{user_id}/messages/{message_id}"].get.operationId, "tsgrpc.transcoding.v1.Messaging.GetMessage_1");
  const byName = doc.paths["/v3/{name}"].get.parameters[0];
  assert.equal(byName.schema.pattern, "^messages/[^/]+$");
  const patch = doc.paths["/v1/messages/{message_id}"].patch;
  assert.deepEqual(patch.requestBody.content["application/json"].schema, { $ref: "#/components/schemas/tsgrpc.transcoding.v1.Message" });
  assert.deepEqual(patch.parameters.map((p: any) => p.name), ["message_id"]);
  const star = doc.paths["/v2/messages/{message_id}"].patch;
  assert.deepEqual(star.parameters.map((p: any) => p.name), ["message_id"], "body * leaves no query parameters");
  assert.ok(doc.paths["/v1/{name}:cancel"].post);
  const search = doc.paths["/v1/search"].get.parameters.map((p: any) => p.name);
  for (const name of ["tags", "filter.minLength", "filter.kind", "filter.inner.minLength", "kind", "kinds", "after", "within", "limit", "mask", "pages", "flag"]) {
    assert.ok(search.includes(name), `query parameter ${name} (have ${search.join(", ")})`);
  }
  for (const name of ["labels", "filters", "extra"]) assert.ok(!search.includes(name), `${name} cannot be a query parameter`);
  assert.deepEqual(doc.paths["/v1/messages/{message_id}/text"].get.responses["200"].content["application/json"].schema, { type: "string" });
  const stream = doc.paths["/v1/messages"].get.responses["200"];
  assert.ok(stream.content["application/x-ndjson"].schema.properties.result);
  assert.deepEqual(get.responses.default.content["application/json"].schema, { $ref: "#/components/schemas/google.rpc.Status" });
  assert.ok(doc.paths["/v1/collect/{message_id}"].post.requestBody.content["application/x-ndjson"]);
  assert.ok(doc.paths["/v1/echo"].post.responses["200"].content["application/x-ndjson"]);
  assert.equal(doc.paths["/v1/any/{code}"], undefined, "a rule of kind * has no OpenAPI form");
  assert.deepEqual(doc.components.schemas["tsgrpc.transcoding.v1.Kind"], { type: "string", enum: ["KIND_UNSPECIFIED", "KIND_NOTE", "KIND_TASK"] });
});

test("the served document matches the routes, and real responses satisfy its schemas", async () => {
  const server = createServer({ rest: { openApiPath: "/openapi.json" } }).service(UserService, userService(createUserStore()));
  const { port } = await server.listen("127.0.0.1:0");
  try {
    const served = await http1Request(port, { method: "GET", path: "/openapi.json" });
    assert.equal(served.status, 200);
    const doc = JSON.parse(served.text);
    await assertValidOpenApi(doc);
    assert.deepEqual(Object.keys(doc.paths).sort(), ["/v1/users", "/v1/users/{id}"]);
    assert.deepEqual(Object.keys(doc.paths["/v1/users"]).sort(), ["get", "post"]);
    const ajv = new Ajv2020.default({ strict: false });
    ajv.addFormat("int64", true).addFormat("uint64", true).addFormat("int32", true).addFormat("double", true).addFormat("float", true).addFormat("date-time", true);
    ajv.addSchema({ $id: "doc", components: doc.components });
    const check = (schema: object, value: unknown, what: string) => {
      const validate = ajv.compile(rebase(schema));
      assert.ok(validate(value), `${what}: ${JSON.stringify(validate.errors)}`);
    };
    const one = await http1Request(port, { method: "GET", path: "/v1/users/0001" });
    check(doc.paths["/v1/users/{id}"].get.responses["200"].content["application/json"].schema, JSON.parse(one.text), "GetUser");
    // The check can fail: a wrong type is caught.
    const wrong = ajv.compile(rebase(doc.paths["/v1/users/{id}"].get.responses["200"].content["application/json"].schema));
    assert.equal(wrong({ user: { id: 1 } }), false);
    const missing = await http1Request(port, { method: "GET", path: "/v1/users/9999" });
    check(doc.paths["/v1/users/{id}"].get.responses.default.content["application/json"].schema, JSON.parse(missing.text), "error");
    const list = await http1Request(port, { method: "GET", path: "/v1/users?pageSize=2" });
    const lines = list.text.trimEnd().split("\n");
    assert.equal(lines.length, 2);
    for (const l of lines) check(doc.paths["/v1/users"].get.responses["200"].content["application/x-ndjson"].schema, JSON.parse(l), "ListUsers line");
    assert.equal((await http1Request(port, { method: "GET", path: "/nope.json" })).status, 404);
  } finally {
    await server.close({ graceMs: 500 });
  }
  await assertNoLeaks();
});

/** Points the document's local references at the schema registered as "doc". */
function rebase(schema: object): object {
  const text = JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/');
  const s = JSON.parse(text);
  return s.$ref ? { allOf: [s] } : s;
}
