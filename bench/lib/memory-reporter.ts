/**
 * Lets the driver sample a child's memory and CPU over the IPC channel. The
 * child collects garbage first (when run with --expose-gc), so heap figures
 * are live data, not whatever the collector had not reached yet.
 */
export interface ProcessSample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** CPU time since process start, µs (user + system). */
  cpuUs: number;
}

export function sampleProcess(collect: boolean): ProcessSample {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (collect && gc) {
    gc();
    gc();
  }
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    heapTotal: memory.heapTotal,
    external: memory.external,
    arrayBuffers: memory.arrayBuffers,
    cpuUs: cpu.user + cpu.system,
  };
}

/** Answer `{ sample: id, gc }` messages from the parent with `{ sample: id, value }`. */
export function serveSamples(): void {
  if (!process.send) return;
  process.on("message", (message: { sample?: number; gc?: boolean }) => {
    if (typeof message?.sample !== "number") return;
    process.send!({ sample: message.sample, value: sampleProcess(message.gc === true) });
  });
  // The channel must not keep a standalone process alive, nor end one early.
  process.channel?.unref();
}
