import type { DescMethod } from "@bufbuild/protobuf";
import type { CallFn } from "../interceptor.js";
import { Metadata, type MetadataInit } from "../metadata/metadata.js";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";

/** What call credentials know about the call they authorize. */
export interface CallCredentialsContext {
  /** The method called. */
  readonly method: DescMethod;
  /**
   * `https://host:port/package.Service`: the audience that gRPC's auth
   * conventions mint per-service tokens for.
   */
  readonly serviceUrl: string;
  /** The call's signal: pass it on to a token fetch so that it stops with the call. */
  readonly signal: AbortSignal | undefined;
}

/**
 * Metadata made per call, typically `authorization`, from a function that
 * may be async: it runs before every call, so it is where a token is
 * refreshed (cache the token there; it sits on the call's path).
 *
 * Set on a channel (`createChannel(url, { callCredentials })`, several
 * compose in order) or on one call (`CallOptions.callCredentials`, added
 * after the channel's). They are only sent over TLS unless
 * `allowInsecureCallCredentials` is set on the channel. A credentials
 * function that throws fails the call with UNAVAILABLE, or with the code
 * of the `RpcError` it throws; one that takes longer than the call's
 * deadline fails it with DEADLINE_EXCEEDED.
 *
 * ```ts
 * const channel = createChannel("https://api.example.com", {
 *   callCredentials: async ({ signal }) => ({ authorization: `Bearer ${await tokens.get({ signal })}` }),
 * });
 * ```
 */
export type CallCredentials = (context: CallCredentialsContext) => MetadataInit | Promise<MetadataInit>;

/** How a channel applies call credentials, settled in `createChannel`. @internal */
export interface CallCredentialsSettings {
  readonly credentials: readonly CallCredentials[];
  /** Whether the channel runs over TLS. */
  readonly secure: boolean;
  readonly allowInsecure: boolean;
  /** `https://host:port` or `http://host:port`. */
  readonly origin: string;
}

/** Validates a channel's call credentials options. @internal */
export function checkCallCredentials(
  value: CallCredentials | readonly CallCredentials[] | undefined,
  secure: boolean,
  allowInsecure: boolean | undefined,
  target: string,
): CallCredentials[] {
  const list = value === undefined ? [] : typeof value === "function" ? [value] : [...value];
  for (const c of list) if (typeof c !== "function") throw new TypeError("createChannel: callCredentials must be functions");
  if (list.length > 0 && !secure && allowInsecure !== true) {
    throw new TypeError(
      `createChannel: call credentials are only sent over TLS, and "${target}" is plain text; use https:// or tls, or set allowInsecureCallCredentials: true to send them in the clear`,
    );
  }
  return list;
}

/**
 * Wraps a channel's transport step so that every call first gathers the
 * metadata of its call credentials. Runs innermost, after every
 * interceptor: interceptors (a logger, say) never see the secrets. @internal
 */
export function withCallCredentials(call: CallFn, settings: CallCredentialsSettings): CallFn {
  const { credentials, secure, allowInsecure, origin } = settings;
  return (req) => {
    const perCall = req.options?.callCredentials;
    if (credentials.length === 0 && perCall === undefined) return call(req);
    if (perCall !== undefined && !secure && !allowInsecure) {
      return Promise.reject(
        new RpcError(Code.UNAUTHENTICATED, "call credentials refused: the channel is plain text (set allowInsecureCallCredentials on the channel to send them anyway)"),
      );
    }
    const list = perCall === undefined ? credentials : [...credentials, perCall];
    const context: CallCredentialsContext = { method: req.method, serviceUrl: `${origin}/${req.method.parent.typeName}`, signal: req.signal };
    return gather(list, context, req.deadline).then((all) => {
      for (const md of all) req.header.merge(md);
      return call(req);
    });
  };
}

/** Runs every credentials function at once; stops waiting on the call's cancel or deadline. */
function gather(list: readonly CallCredentials[], context: CallCredentialsContext, deadline: number | undefined): Promise<Metadata[]> {
  const work = Promise.all(
    list.map(async (c) => {
      try {
        return new Metadata(await c(context));
      } catch (e) {
        if (e instanceof RpcError) throw e;
        throw new RpcError(Code.UNAVAILABLE, `call credentials failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    }),
  );
  const signal = context.signal;
  if (!signal && deadline === undefined) return work;
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      done();
      const reason: unknown = signal!.reason;
      reject(reason instanceof RpcError ? reason : new RpcError(Code.CANCELLED, "the call was cancelled while getting call credentials", { cause: reason }));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort);
    if (deadline !== undefined) {
      timer = setTimeout(() => {
        done();
        reject(new RpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded while getting call credentials"));
      }, Math.max(0, deadline - Date.now()));
    }
    work.then(
      (v) => {
        done();
        resolve(v);
      },
      (e) => {
        done();
        reject(e);
      },
    );
  });
}
