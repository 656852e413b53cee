import type { ThrottlingSettings } from "./service-config.js";

/**
 * The token bucket of gRFC A6 that a channel shares across its calls:
 * starts full at `maxTokens`; a failure worth retrying costs one token, a
 * success earns `tokenRatio`; retries and hedges stop while the bucket
 * holds half or less. Counted in thousandths so that ratios like 0.1 add up
 * exactly.
 */
export interface RetryThrottle {
  /** Whether a retry or hedge may be sent now. */
  allows(): boolean;
  /** An attempt failed with a retryable (or non-fatal) code, or pushback said not to retry. */
  failure(): void;
  /** A call succeeded. */
  success(): void;
}

/** A bucket that never throttles: no `retryThrottling` in the service config. */
export const unthrottled: RetryThrottle = { allows: () => true, failure: () => undefined, success: () => undefined };

export function createRetryThrottle(settings: ThrottlingSettings | undefined): RetryThrottle {
  if (!settings) return unthrottled;
  const max = Math.round(settings.maxTokens * 1000);
  const ratio = Math.round(settings.tokenRatio * 1000);
  let tokens = max;
  return {
    allows: () => tokens > max / 2,
    failure: () => {
      tokens = Math.max(0, tokens - 1000);
    },
    success: () => {
      tokens = Math.min(max, tokens + ratio);
    },
  };
}
