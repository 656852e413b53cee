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
  this[kFirst]!.streamClosed();
  const more = this[kMore];
  if (more) for (const hook of more) hook.streamClosed();
}
