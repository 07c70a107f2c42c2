/**
 * Delay before the next attempt after `failedAttempts` failures: exponential from `baseMs`, capped at `maxMs`,
 * with "equal jitter" (half fixed, half random) so receivers coming back from an outage are not hit by every
 * retry at the same instant, while the delay still grows with each failure.
 */
export function retryDelayMs(
  failedAttempts: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(failedAttempts - 1, 0), 30);
  const capped = Math.min(maxMs, baseMs * 2 ** exponent);
  return Math.round(capped / 2 + random() * (capped / 2));
}
