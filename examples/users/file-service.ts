import { randomUUID } from "node:crypto";
import { Code, RpcError, type ServiceImpl } from "../../src/index.js";
import { FileService } from "./gen/users/v1/users_pb.js";

/** The largest chunk the service takes: 64 KiB. */
export const maxChunkBytes = 64 * 1024;

export interface StoredFile {
  name: string;
  contentType: string;
  data: Buffer;
}

/** The FileService of the example: a client stream of metadata, then chunks. */
export function fileService(files: Map<string, StoredFile>): ServiceImpl<typeof FileService> {
  return {
    async uploadFile(requests) {
      let meta: { name: string; contentType: string } | undefined;
      const chunks: Buffer[] = [];
      let received = 0;
      for await (const r of requests) {
        switch (r.data.case) {
          case "metadata":
            if (meta) throw new RpcError(Code.INVALID_ARGUMENT, "metadata sent twice");
            if (!r.data.value.name) throw new RpcError(Code.INVALID_ARGUMENT, "file name must not be empty");
            meta = { name: r.data.value.name, contentType: r.data.value.contentType };
            break;
          case "chunk":
            if (!meta) throw new RpcError(Code.INVALID_ARGUMENT, "the first message must carry the file's metadata");
            if (r.data.value.byteLength > maxChunkBytes) {
              throw new RpcError(Code.INVALID_ARGUMENT, `chunk of ${r.data.value.byteLength} bytes is over ${maxChunkBytes}`);
            }
            chunks.push(Buffer.from(r.data.value));
            received += r.data.value.byteLength;
            break;
          default:
            throw new RpcError(Code.INVALID_ARGUMENT, "empty upload message");
        }
      }
      if (!meta) throw new RpcError(Code.INVALID_ARGUMENT, "no metadata received");
      const fileId = randomUUID();
      files.set(fileId, { ...meta, data: Buffer.concat(chunks) });
      return { fileId, bytesReceived: BigInt(received) };
    },
  };
}
