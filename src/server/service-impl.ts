import type { DescMessage, DescMethod, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import type { HandlerContext } from "./handler-context.js";

type In<D extends DescMessage> = MessageShape<D>;
type Reply<D extends DescMessage> = MessageInitShape<D>;

/** The handler of one method, by its kind. Returned messages may be plain init objects. */
export type MethodImpl<M extends Pick<DescMethod, "input" | "output" | "methodKind">> = M["methodKind"] extends "unary"
  ? (request: In<M["input"]>, context: HandlerContext) => Promise<Reply<M["output"]>> | Reply<M["output"]>
  : M["methodKind"] extends "server_streaming"
    ? (request: In<M["input"]>, context: HandlerContext) => AsyncIterable<Reply<M["output"]>>
    : M["methodKind"] extends "client_streaming"
      ? (requests: AsyncIterable<In<M["input"]>>, context: HandlerContext) => Promise<Reply<M["output"]>>
      : (requests: AsyncIterable<In<M["input"]>>, context: HandlerContext) => AsyncIterable<Reply<M["output"]>>;

/**
 * The implementation of a service: one handler per method, by local name.
 * Methods left out answer UNIMPLEMENTED.
 */
export type ServiceImpl<S extends DescService> = S extends GenService<infer T extends GenServiceMethods>
  ? { [K in keyof T]?: MethodImpl<T[K]> }
  : Record<string, unknown>;
