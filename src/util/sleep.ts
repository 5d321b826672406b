/**
 * Resolves after `ms`, or as soon as `signal` aborts (also when it already has): a stopping process never
 * waits out a backoff or a poll interval. Never rejects, so a loop around it checks its own stop condition.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
