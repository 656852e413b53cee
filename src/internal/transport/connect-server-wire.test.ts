import { test } from "node:test";
import assert from "node:assert/strict";
import { Metadata } from "../../metadata/metadata.js";
import { Code } from "../../status/code.js";
import { RpcError } from "../../status/rpc-error.js";
import { endStreamMessage } from "./connect-server-wire.js";

const json = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString()) as unknown;

test("Connect end-of-stream: the trailers, then the error's metadata, every value in a list", () => {
  const trailer = new Metadata({ "x-t": ["1", "2"], "x-b-bin": new Uint8Array([1, 2, 3]) });
  assert.deepEqual(json(endStreamMessage(null, undefined)), {});
  assert.deepEqual(json(endStreamMessage(null, new Metadata())), {});
  assert.deepEqual(json(endStreamMessage(null, trailer)), { metadata: { "x-t": ["1", "2"], "x-b-bin": ["AQID"] } });
  const error = new RpcError(Code.NOT_FOUND, "gone", { metadata: { "x-t": "3", "x-e": "e" } });
  assert.deepEqual(json(endStreamMessage(error, trailer)), {
    error: { code: "not_found", message: "gone" },
    metadata: { "x-t": ["1", "2", "3"], "x-b-bin": ["AQID"], "x-e": ["e"] },
  });
  assert.deepEqual(json(endStreamMessage(error, undefined)), { error: { code: "not_found", message: "gone" }, metadata: { "x-t": ["3"], "x-e": ["e"] } });
  assert.deepEqual(json(endStreamMessage(new RpcError(Code.INTERNAL, "x"), undefined)), { error: { code: "internal", message: "x" } });
  // The trailer itself is not changed by the merge.
  assert.deepEqual(trailer.getAll("x-t"), ["1", "2"]);
});
