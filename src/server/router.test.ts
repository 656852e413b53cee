import { test } from "node:test";
import assert from "node:assert/strict";
import { EchoService } from "../../test/gen/tsgrpc/test/v1/echo_pb.js";
import { Router } from "./router.js";

test("the router lists its services and the methods that have handlers", () => {
  const router = new Router();
  router.add(EchoService, { async unary() { return {}; }, async *bidi() {} }, []);
  assert.deepEqual(router.services(), [EchoService]);
  assert.deepEqual(router.methods().map((m) => m.name), ["Unary", "Bidi"]);
  assert.equal(router.find("/tsgrpc.test.v1.EchoService/Unary")?.method.name, "Unary");
  assert.equal(router.find("/tsgrpc.test.v1.EchoService/ServerStream"), undefined);
  assert.match(router.explainMissing("/tsgrpc.test.v1.EchoService/ServerStream"), /method "ServerStream" of service "tsgrpc.test.v1.EchoService" is not implemented/);
  assert.match(router.explainMissing("/other.Service/X"), /unknown service "other.Service"/);
  assert.match(router.explainMissing("nonsense"), /malformed method path/);
});

test("registering a service twice, an unknown method or a non-function is a start-up error", () => {
  const router = new Router();
  router.add(EchoService, {}, []);
  assert.throws(() => router.add(EchoService, {}, []), /EchoService is already registered/);
  assert.throws(() => new Router().add(EchoService, { unray() {} }, []), /has no method "unray"/);
  assert.throws(() => new Router().add(EchoService, { unary: 1 }, []), /must be a function/);
});
