import { TributaryError } from '../errors';

/**
 * Checks `silentForMs` a few times per `timeoutMs` and fails the session (retriable) once it exceeds the
 * timeout. Returns the timer (undefined when the timeout is 0).
 */
export function receiveWatchdog(
  timeoutMs: number,
  silentForMs: () => number,
  fail: (error: TributaryError) => void,
): NodeJS.Timeout | undefined {
  if (timeoutMs <= 0) return undefined;
  const timer = setInterval(
    () => {
      const silentMs = silentForMs();
      if (silentMs <= timeoutMs) return;
      clearInterval(timer);
      fail(
        new TributaryError(
          'infra.unavailable',
          `nothing received on the replication connection for ${silentMs} ms (RELAY_RECEIVE_TIMEOUT_MS=${timeoutMs}); taking it for dead`,
          { retriable: true },
        ),
      );
    },
    Math.max(50, Math.floor(timeoutMs / 4)),
  );
  timer.unref();
  return timer;
}
