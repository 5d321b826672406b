import { sleep } from './sleep';

describe('sleep', () => {
  it('resolves after the given time when nothing aborts it', async () => {
    const started = Date.now();
    await sleep(30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('a stopping process does not wait out the interval: an abort ends the sleep at once', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const sleeping = sleep(10_000, stop.signal);
    setTimeout(() => stop.abort(), 10);
    await sleeping;
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('a signal that has already aborted ends the sleep at once', async () => {
    const stop = new AbortController();
    stop.abort();
    const started = Date.now();
    await sleep(10_000, stop.signal);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
