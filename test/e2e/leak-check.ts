import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";

/** Resource kinds that a closed client and server must not leave behind. */
const watched = new Set(["TCPSocketWrap", "TCPServerWrap", "Http2Session", "PipeServerWrap"]);

/** Waits a little for sockets to finish closing, then fails if any remain. */
export async function assertNoLeaks(timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let open: string[] = [];
  while (Date.now() < until) {
    open = process.getActiveResourcesInfo().filter((r) => watched.has(r));
    if (open.length === 0) return;
    await sleep(20);
  }
  assert.deepEqual(open, [], "sockets left open after teardown");
}
