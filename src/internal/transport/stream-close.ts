import type { Http2Stream } from "node:http2";

/** Something told when an HTTP/2 stream closes. */
export interface StreamCloseHook {
  streamClosed(): void;
}

const kFirst = Symbol("tsgrpc.closeHook");
const kMore = Symbol("tsgrpc.closeHooks");
type HookedStream = Http2Stream & { [kFirst]?: StreamCloseHook; [kMore]?: StreamCloseHook[] };

/**
 * Tells `hook` when `stream` closes, after the hooks registered before it.
 * Every stream gets one shared 'close' listener however many hooks it has:
 * with two listeners Node would keep an array per stream and copy it on
 * every emit, a cost each call of a server pays (a server's connection
 * manager and its gRPC wire both watch every stream).
 *
 * Once they have run, the stream lets go of its hooks. A closed stream is
 * garbage, but V8's young-generation collector keeps whatever an object of
 * the old generation points to, dead or not, until the next full
 * collection, and under load Node's objects of finished calls end up
 * there (the immediate that sent a stream's trailers, for one, still holds
 * the stream after it has run): closed streams then survive scavenges and
 * are promoted, call after call, on every Node server (bench/gc-survival.ts
 * measures it). Whatever a closed stream still points to is copied and
 * promoted with it: for a unary call, its wire, call, context and messages.
 */
export function onStreamClose(stream: Http2Stream, hook: StreamCloseHook): void {
  const s = stream as HookedStream;
  if (s[kFirst] === undefined) {
    s[kFirst] = hook;
    stream.on("close", runCloseHooks);
  } else {
    (s[kMore] ??= []).push(hook);
  }
}

function runCloseHooks(this: HookedStream): void {
  const first = this[kFirst]!;
  const more = this[kMore];
  this[kFirst] = undefined;
  this[kMore] = undefined;
  first.streamClosed();
  if (more) for (const hook of more) hook.streamClosed();
}
