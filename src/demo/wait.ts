import { TributaryError } from '../errors';
import { sleep } from '../util';

/** Waiting helpers of the demo: every wait ends early when the demo is stopped (Ctrl-C, a crashed component). */

/** Settles like `promise`, or rejects with the signal's reason as soon as it aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

/**
 * Polls `check` every `everyMs` until it returns a value other than undefined/false. Throws a readable
 * error naming `what` after `timeoutMs`, and the signal's reason when it aborts.
 */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { signal, timeoutMs, everyMs = 250 }: { signal: AbortSignal; timeoutMs: number; everyMs?: number },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal.aborted) throw signal.reason as Error;
    const value = await abortable(Promise.resolve(check()), signal);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new TributaryError(
        'infra.unavailable',
        `gave up after ${timeoutMs / 1000} s waiting for ${what}`,
      );
    }
    await sleep(everyMs, signal);
  }
}

/** Seconds since `startedAt` (ms since the epoch), for "… in 1.2 s". */
export const secondsSince = (startedAt: number): string =>
  `${((Date.now() - startedAt) / 1000).toFixed(1)} s`;
