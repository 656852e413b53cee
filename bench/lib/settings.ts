/**
 * Every knob of a run, in one place, for the full and the quick mode. Each
 * workload applies the same settings to every implementation.
 */
export interface Settings {
  mode: "full" | "quick";
  /** Measure a row again (full runs) when other processes took more than this share of a pinned core. */
  retryAboveOtherCpuPercent: number;
  server: {
    payloadSizes: number[];
    connections: number;
    streamsPerConnection: number;
    warmupS: number;
    /** Timing mode (full); quick mode sends a fixed `requests` instead. */
    durationS?: number;
    requests?: number;
    /** Tries per server, interleaved with the others'; the median one is reported. */
    rounds: number;
  };
  client: {
    concurrency: number;
    warmupMs: number;
    durationMs: number;
    streamMessages: number;
    messageSize: number;
    /** Tries per client, interleaved with the others'; the median of each workload is reported. */
    rounds: number;
  };
  e2e: {
    concurrency: number;
    warmupMs: number;
    durationMs: number;
    pingPongMs: number;
    clientStreamMessages: number;
    messageSize: number;
  };
  memory: {
    openStreams: number;
    openConnections: number;
    leakCalls: number;
    leakChunk: number;
    /** Cap per implementation and side, so a slow stack cannot stretch the run. */
    leakMaxMs: number;
    /**
     * The cap for tsgrpc, whose target is "no growth across 1,000,000 calls":
     * it must finish the series, so only a hard bound applies.
     */
    leakSubjectMaxMs: number;
    /** Allowed heap growth after warm-up before we call it a leak, bytes. */
    leakToleranceBytes: number;
  };
}

export function settingsFor(mode: "full" | "quick"): Settings {
  const quick = mode === "quick";
  return {
    mode,
    retryAboveOtherCpuPercent: 10,
    server: {
      payloadSizes: [0, 1024, 65536],
      connections: 4,
      streamsPerConnection: 32,
      warmupS: quick ? 1 : 2,
      ...(quick ? { requests: 3000 } : { durationS: 6 }),
      rounds: quick ? 1 : 3,
    },
    client: {
      concurrency: 64,
      warmupMs: quick ? 300 : 2000,
      durationMs: quick ? 500 : 6_000,
      rounds: quick ? 1 : 3,
      streamMessages: quick ? 10_000 : 1_000_000,
      messageSize: 100,
    },
    e2e: {
      concurrency: 64,
      warmupMs: quick ? 300 : 1000,
      durationMs: quick ? 500 : 5000,
      pingPongMs: quick ? 500 : 5000,
      clientStreamMessages: quick ? 10_000 : 100_000,
      messageSize: 100,
    },
    memory: {
      openStreams: quick ? 1000 : 10_000,
      // 100 calls per connection: the stream limit many servers and proxies default to.
      openConnections: quick ? 10 : 100,
      leakCalls: quick ? 9000 : 1_000_000,
      leakChunk: quick ? 3000 : 100_000,
      leakMaxMs: quick ? 15_000 : 45_000,
      leakSubjectMaxMs: quick ? 15_000 : 300_000,
      leakToleranceBytes: 1024 * 1024,
    },
  };
}
