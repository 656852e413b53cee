import { createChannelTo, type Channel, type ChannelOptions } from "../client/channel.js";
import type { Server } from "../server/create-server.js";
import { serverInternals } from "../server/server-internals.js";
import { createDuplexPair } from "./duplex-pair.js";

/** Options of `createSocketPairTransport`: a channel's, without what only a network target needs. */
export type SocketPairTransportOptions = Omit<ChannelOptions, "tls" | "insecure">;

/**
 * A channel to `server` over an in-process connection: the full gRPC over
 * HTTP/2 protocol (framing, flow control, HEADERS and trailers, RST_STREAM,
 * GOAWAY) between a real client session and the server, with no port and no
 * socket. For tests of protocol behaviour that should not depend on the
 * network; `createInMemoryTransport` is lighter when the protocol does not
 * matter. Close it like any channel; the server need not listen, and its
 * `close()` ends these connections too.
 *
 * ```ts
 * const channel = createSocketPairTransport(server);
 * const users = createClient(UserService, channel);
 * // …
 * channel.close();
 * ```
 */
export function createSocketPairTransport(server: Server, options: SocketPairTransportOptions = {}): Channel {
  const internals = serverInternals(server, "createSocketPairTransport");
  const target = "in-process";
  return createChannelTo(
    {
      name: { scheme: "ipv4", authority: "", endpoint: "127.0.0.1:0", defaultPort: 80 },
      authority: "localhost",
      createConnection: () => {
        const [client, serverEnd] = createDuplexPair();
        internals.acceptHttp2(serverEnd);
        return client;
      },
    },
    target,
    { ...options, insecure: true },
  );
}
