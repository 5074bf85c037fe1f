/** Thrown by a processor when another attempt may succeed (429, 5xx, timeout, connection). */
export class RetryableJobError extends Error {
  override readonly name = 'RetryableJobError';
  constructor(
    message: string,
    /** The server's Retry-After, when it sent one: the next attempt waits at least this long. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export const BACKOFF_TYPE = 'jittered';
const MAX_DELAY_MS = 5 * 60_000;

/** Exponential backoff with equal jitter, never sooner than Retry-After. */
export function backoffDelay(
  attemptsMade: number,
  baseMs: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(MAX_DELAY_MS, baseMs * 2 ** Math.max(0, attemptsMade - 1));
  const jittered = exponential / 2 + random() * (exponential / 2);
  return Math.round(Math.min(MAX_DELAY_MS, Math.max(jittered, retryAfterMs ?? 0)));
}
