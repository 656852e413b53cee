// The example client: calls every method of the example server once.
// `npm run example:client` (TARGET overrides http://127.0.0.1:50051).
import { Code, RpcError, createChannel, createClient, createWritableIterable } from "../../src/index.js";
import { FileService, UserService } from "./gen/users/v1/users_pb.js";
import { maxChunkBytes } from "./file-service.js";

const channel = createChannel(process.env.TARGET ?? "http://127.0.0.1:50051");
const users = createClient(UserService, channel);
const files = createClient(FileService, channel);

// Unary, with a deadline and metadata, reading the response headers.
const { user } = await users.getUser(
  { id: "0001" },
  { timeoutMs: 5000, metadata: { authorization: "Bearer example-token" }, onHeader: (h) => void h },
);
console.log("getUser(0001) →", user?.name, user?.email);

// The error paths.
for (const id of ["9999", ""]) {
  try {
    await users.getUser({ id });
  } catch (e) {
    if (!(e instanceof RpcError)) throw e;
    console.log(`getUser(${JSON.stringify(id)}) → ${Code[e.code]}: ${e.rawMessage}`);
  }
}

// Server streaming, two pages.
let token = "";
for (let page = 1; page <= 2; page++) {
  const names: string[] = [];
  for await (const u of users.listUsers({ pageSize: 5, pageToken: token })) {
    names.push(u.name);
    token = u.id;
  }
  console.log(`listUsers page ${page} →`, names.join(", "));
}

// Client streaming.
async function* newUsers() {
  for (const name of ["margaret", "radia", "sophie"]) yield { name, email: `${name}@example.com` };
}
const created = await users.createUsers(newUsers());
console.log("createUsers →", created.createdCount, "created:", created.ids.join(", "));

// Bidi, push-style.
const outbox = createWritableIterable<{ from: string; text: string }>();
const replies = users.chat(outbox);
const reader = (async () => {
  for await (const r of replies) console.log("chat ←", r.text);
})();
for (const text of ["hello", "how are you?", "bye"]) await outbox.write({ from: "client", text });
outbox.close();
await reader;

// Client streaming of a oneof: metadata first, then 64 KiB chunks.
const payload = Buffer.alloc(200_000, 7);
async function* upload() {
  yield { data: { case: "metadata" as const, value: { name: "example.bin", contentType: "application/octet-stream" } } };
  for (let off = 0; off < payload.length; off += maxChunkBytes) {
    yield { data: { case: "chunk" as const, value: payload.subarray(off, off + maxChunkBytes) } };
  }
}
const uploaded = await files.uploadFile(upload());
console.log("uploadFile →", uploaded.fileId, `${uploaded.bytesReceived} bytes`);

channel.close();
