import { test } from "node:test";
import assert from "node:assert/strict";
import { grpcSubtype } from "./grpc-content-type.js";

test("gRPC content types and their subtypes", () => {
  assert.equal(grpcSubtype("application/grpc"), "");
  assert.equal(grpcSubtype("application/grpc; charset=utf-8"), "");
  assert.equal(grpcSubtype("application/grpc+proto"), "proto");
  assert.equal(grpcSubtype("application/grpc+JSON;x=y"), "json");
  assert.equal(grpcSubtype("application/grpc-web"), undefined);
  assert.equal(grpcSubtype("application/grpcx"), undefined);
  assert.equal(grpcSubtype("application/json"), undefined);
});
