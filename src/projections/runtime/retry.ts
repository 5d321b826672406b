import { toTributaryError, type TributaryError } from '../../errors';

/** Capped exponential backoff: 100 ms, 200 ms, … up to `maxMs`. */
export function backoffMs(attempt: number, maxMs: number, startMs = 100): number {
  return Math.min(maxMs, startMs * 2 ** Math.min(attempt, 30));
}

export interface RetryOptions {
  /** Attempts for a failure that is not retriable (a handler error may be transient too, but not forever). */
  attempts: number;
  /** Backoff cap. */
  maxBackoffMs: number;
  /** Called before each wait, e.g. to heartbeat Kafka; throwing aborts (the consumer is stopping). */
  beforeWait: (failure: TributaryError, attempt: number, waitMs: number) => Promise<void>;
  sleep: (ms: number) => Promise<void>;
}

/**
 * Runs `work` until it succeeds. A retriable failure (a service down, overload, a deadlock) is retried
 * without limit — the offset is not committed meanwhile, so nothing is skipped; the caller stops the loop by
 * throwing from `beforeWait`. Any other failure is retried `attempts` times in all, then returned.
 */
export async function retry(
  work: () => Promise<void>,
  options: RetryOptions,
): Promise<TributaryError | undefined> {
  let failed = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      await work();
      return undefined;
    } catch (error) {
      const failure = toTributaryError(error);
      if (!failure.retriable && ++failed >= options.attempts) return failure;
      const waitMs = backoffMs(attempt, options.maxBackoffMs);
      await options.beforeWait(failure, attempt, waitMs);
      await options.sleep(waitMs);
    }
  }
}
