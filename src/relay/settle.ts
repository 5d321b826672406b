/**
 * How long the relay waits for a connection to close or a last statement to answer when it lets go of it. A
 * connection that died without a reset reaching this end never answers, so the wait must end on its own.
 */
export const CLOSE_TIMEOUT_MS = 5_000;

/** Resolves with true when `promise` settles within `ms`, false otherwise; never rejects. */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const settled = () => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(settled, settled);
  });
}
