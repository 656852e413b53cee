import { test } from "node:test";
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { createDetail, decodeStatusDetails, encodeStatusDetails } from "./details.js";
import { Code } from "./code.js";
import { RpcError } from "./rpc-error.js";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema, StatusSchema } from "./error-details.js";
import { statusFromTrailers, writeStatus } from "../internal/status-trailers.js";

test("details survive encode and decode, typed, in order", () => {
  const details = [
    createDetail(ErrorInfoSchema, { reason: "R", domain: "d", metadata: { k: "v" } }),
    createDetail(RetryInfoSchema, { retryDelay: { seconds: 3n } }),
    createDetail(ErrorInfoSchema, { reason: "R2" }),
  ];
  const bytes = encodeStatusDetails(Code.UNAVAILABLE, "down", details);
  const back = decodeStatusDetails(bytes, Code.UNAVAILABLE);
  assert.deepEqual(back.map((d) => d.type), ["google.rpc.ErrorInfo", "google.rpc.RetryInfo", "google.rpc.ErrorInfo"]);
  const err = new RpcError(Code.UNAVAILABLE, "down", { details: back });
  assert.deepEqual(err.findDetails(ErrorInfoSchema).map((e) => e.reason), ["R", "R2"]);
  assert.equal(err.findDetails(ErrorInfoSchema)[0]!.metadata["k"], "v");
  assert.equal(err.findDetails(RetryInfoSchema)[0]!.retryDelay?.seconds, 3n);
  assert.deepEqual(err.findDetails(BadRequestSchema), []);
});

test("the google.rpc.Status repeats the trailers' code and message", () => {
  const headers: Record<string, string | string[]> = {};
  writeStatus(headers, Code.NOT_FOUND, "no such user ☺", [createDetail(ErrorInfoSchema, { reason: "X" })]);
  const status = statusFromTrailers(headers);
  assert.equal(status.code, Code.NOT_FOUND);
  assert.equal(status.message, "no such user ☺");
  assert.equal(status.details.length, 1);
  // Unpadded base64 on the wire.
  assert.doesNotMatch(String(headers["grpc-status-details-bin"]), /=$/);
});

test("a Status whose code disagrees with grpc-status, or garbage, yields no details", () => {
  const other = toBinary(StatusSchema, create(StatusSchema, { code: Code.INTERNAL, details: [{ typeUrl: "type.googleapis.com/google.rpc.ErrorInfo", value: new Uint8Array() }] }));
  assert.deepEqual(decodeStatusDetails(other, Code.NOT_FOUND), []);
  assert.deepEqual(decodeStatusDetails(new Uint8Array([0xff, 0xff, 0xff]), Code.NOT_FOUND), []);
  const status = statusFromTrailers({ "grpc-status": "5", "grpc-status-details-bin": "!!!not base64" });
  assert.deepEqual(status.details, []);
});

test("OK writes no details; an error without details writes none", () => {
  const ok: Record<string, string | string[]> = {};
  writeStatus(ok, Code.OK, "", [createDetail(ErrorInfoSchema, {})]);
  assert.equal(ok["grpc-status-details-bin"], undefined);
  const plain: Record<string, string | string[]> = {};
  writeStatus(plain, Code.INTERNAL, "x", []);
  assert.equal(plain["grpc-status-details-bin"], undefined);
});

test("a detail that does not parse is skipped, not thrown", () => {
  const err = new RpcError(Code.INTERNAL, "x", { details: [{ type: "google.rpc.ErrorInfo", value: new Uint8Array([0xff, 0xff]) }] });
  assert.deepEqual(err.findDetails(ErrorInfoSchema), []);
});
