import { createWaker } from './waker';

/** How long `promise` took to settle, ms. */
async function timed(promise: Promise<void>): Promise<number> {
  const started = performance.now();
  await promise;
  return performance.now() - started;
}

describe('the capture waker', () => {
  const stop = new AbortController().signal;

  it('a wake ends one waiting worker at once; the other waits out its poll', async () => {
    const waker = createWaker(4);
    const first = timed(waker.wait(5_000, stop));
    const second = timed(waker.wait(150, stop));
    waker.wake();
    expect(await first).toBeLessThan(100);
    expect(await second).toBeGreaterThanOrEqual(140);
  });

  it('a wake with no one waiting is kept for the next wait, up to the bound', async () => {
    const waker = createWaker(2);
    waker.wake();
    waker.wake();
    waker.wake(); // over the bound: dropped
    expect(await timed(waker.wait(5_000, stop))).toBeLessThan(100);
    expect(await timed(waker.wait(5_000, stop))).toBeLessThan(100);
    expect(await timed(waker.wait(150, stop))).toBeGreaterThanOrEqual(140);
  });

  it('a stop ends every wait', async () => {
    const waker = createWaker(1);
    const controller = new AbortController();
    const waits = [timed(waker.wait(5_000, controller.signal)), timed(waker.wait(5_000, controller.signal))];
    controller.abort();
    for (const took of await Promise.all(waits)) expect(took).toBeLessThan(100);
  });
});
