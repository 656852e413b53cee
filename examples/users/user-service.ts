import { Code, RpcError, type ServiceImpl } from "../../src/index.js";
import { UserService, type User } from "./gen/users/v1/users_pb.js";

/** An in-memory user store, seeded with a few users. */
export interface UserStore {
  readonly users: Map<string, Pick<User, "id" | "name" | "email">>;
  nextId(): string;
}

export function createUserStore(): UserStore {
  const users = new Map<string, Pick<User, "id" | "name" | "email">>();
  let last = 0;
  const nextId = () => String(++last).padStart(4, "0");
  for (const name of ["ada", "grace", "alan", "edsger", "barbara", "donald", "frances", "ken", "dennis", "leslie", "tony", "niklaus"]) {
    const id = nextId();
    users.set(id, { id, name, email: `${name}@example.com` });
  }
  return { users, nextId };
}

const defaultPageSize = 10;
const maxPageSize = 1000;

/** The UserService of the example: lookups, paging, bulk creation and a chat echo. */
export function userService(store: UserStore): ServiceImpl<typeof UserService> {
  return {
    async getUser(req) {
      if (!req.id) throw new RpcError(Code.INVALID_ARGUMENT, "id must not be empty");
      const user = store.users.get(req.id);
      if (!user) throw new RpcError(Code.NOT_FOUND, `user ${req.id} not found`);
      return { user };
    },

    async *listUsers(req, ctx) {
      if (req.pageSize < 0 || req.pageSize > maxPageSize) {
        throw new RpcError(Code.INVALID_ARGUMENT, `page_size must be between 0 and ${maxPageSize}`);
      }
      const size = req.pageSize || defaultPageSize;
      const ids = [...store.users.keys()].sort().filter((id) => id > req.pageToken);
      for (const id of ids.slice(0, size)) {
        if (ctx.signal.aborted) return;
        yield store.users.get(id)!;
      }
    },

    async createUser(req) {
      if (!req.name) throw new RpcError(Code.INVALID_ARGUMENT, "name must not be empty");
      const id = store.nextId();
      const user = { id, name: req.name, email: req.email };
      store.users.set(id, user);
      return user;
    },

    async createUsers(requests) {
      const ids: string[] = [];
      for await (const r of requests) {
        if (!r.name) throw new RpcError(Code.INVALID_ARGUMENT, `user ${ids.length + 1} has no name`);
        const id = store.nextId();
        store.users.set(id, { id, name: r.name, email: r.email });
        ids.push(id);
      }
      return { createdCount: ids.length, ids };
    },

    async *chat(messages) {
      for await (const m of messages) yield { from: "server", text: m.text.toUpperCase() };
    },
  };
}
