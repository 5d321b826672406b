import { toTributaryError } from '../errors';
import { sleep } from '../util';
import { createWaker, wakeOnCaptureDue, type Waker } from './waker';
import { captureNext } from './capture';
import type { SagaContext } from './context';
import { runSagaConsumer, type SagaConsumerOptions } from './consumer';
import { fireNextTimer } from './timers';

/**
 * The saga process: the consumer of the order topic, `captureConcurrency` capture workers and a timer
 * worker. All of it runs until `stop` aborts, then finishes the work in flight (a transaction is never cut
 * short by a stop: it commits or rolls back on its own) and resolves.
 */
export interface SagaRunOptions extends SagaConsumerOptions {
  captureConcurrency: number;
  pollMs: number;
}

export async function runSaga(ctx: SagaContext, options: SagaRunOptions, stop: AbortSignal): Promise<void> {
  // A saga the consumer moved to `capturing` wakes an idle capture worker at once, instead of after its poll.
  const captures = createWaker(options.captureConcurrency);
  const release = wakeOnCaptureDue(ctx, captures);
  const workers = [
    ...Array.from({ length: options.captureConcurrency }, () =>
      workLoop(ctx, 'capture', () => captureNext(ctx), options.pollMs, stop, captures),
    ),
    workLoop(ctx, 'timer', () => fireNextTimer(ctx), options.pollMs, stop),
  ];
  try {
    await runSagaConsumer(ctx, options, stop);
  } finally {
    await Promise.all(workers);
    release();
  }
}

/**
 * Runs `step` while it finds work, polls when it found none (or sooner, when `waker` says work is due),
 * backs off when it failed.
 */
export async function workLoop(
  ctx: SagaContext,
  name: string,
  step: () => Promise<boolean>,
  pollMs: number,
  stop: AbortSignal,
  waker?: Waker,
): Promise<void> {
  let failures = 0;
  while (!stop.aborted) {
    const started = process.hrtime.bigint();
    try {
      const found = await step();
      failures = 0;
      if (found) {
        ctx.metrics.stepSeconds.observe({ step: name }, Number(process.hrtime.bigint() - started) / 1e9);
      } else {
        await (waker ? waker.wait(pollMs, stop) : sleep(pollMs, stop));
      }
    } catch (error) {
      failures++;
      const failure = toTributaryError(error);
      ctx.metrics.failures.inc({ step: name, code: failure.code });
      ctx.logger.warn(
        { err: failure.message, code: failure.code, failures },
        `saga: ${name} failed; trying again`,
      );
      await sleep(Math.min(ctx.retryBaseMs * 2 ** Math.min(failures - 1, 20), ctx.retryMaxMs), stop);
    }
  }
}
