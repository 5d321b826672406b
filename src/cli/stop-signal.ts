import type { Logger } from '../observability';

/**
 * An AbortSignal that SIGINT or SIGTERM aborts: long-running jobs finish the work in flight and return.
 * `release()` removes the handlers once the job is done.
 */
export function stopOnSignal(logger: Logger): { signal: AbortSignal; release(): void } {
  const stop = new AbortController();
  const onSignal = (signal: string) => {
    logger.info({ signal }, 'stopping: finishing the batch in flight');
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: stop.signal,
    release() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
