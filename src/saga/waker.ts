import { sleep } from '../util';

/**
 * Wakes idle workers when work is due, so they need not wait out their poll interval. A wake with no worker
 * waiting is kept (up to `most`) for the next worker that would wait. Only a shortcut: a lost wake costs at
 * most one poll interval, since workers still poll.
 */
export interface Waker {
  /** Resolves after `ms`, on a wake, or when `stop` aborts. */
  wait(ms: number, stop: AbortSignal): Promise<void>;
  wake(): void;
}

export function createWaker(most: number): Waker {
  const waiting: (() => void)[] = [];
  let kept = 0;
  return {
    wait(ms, stop) {
      if (kept > 0) {
        kept--;
        return Promise.resolve();
      }
      const woken = new AbortController();
      const onStop = () => woken.abort();
      stop.addEventListener('abort', onStop, { once: true });
      const resume = () => woken.abort();
      waiting.push(resume);
      return sleep(ms, woken.signal).finally(() => {
        stop.removeEventListener('abort', onStop);
        const at = waiting.indexOf(resume);
        if (at >= 0) waiting.splice(at, 1);
      });
    },
    wake() {
      const next = waiting.shift();
      if (next) next();
      else kept = Math.min(kept + 1, most);
    },
  };
}

/** The capture waker of each running saga (its context): set by runSaga, used by startSaga. */
const capturesOf = new WeakMap<object, Waker>();

/** Wakes a capture worker of the saga running with `ctx`, if any (a saga just became due for capture). */
export function captureDue(ctx: object): void {
  capturesOf.get(ctx)?.wake();
}

/** Registers `waker` as the capture waker of `ctx`; returns the function that unregisters it. */
export function wakeOnCaptureDue(ctx: object, waker: Waker): () => void {
  capturesOf.set(ctx, waker);
  return () => {
    if (capturesOf.get(ctx) === waker) capturesOf.delete(ctx);
  };
}
