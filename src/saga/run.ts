import { toTributaryError } from '../errors';
import { sleep } from '../util';
import { createWaker, wakeOnCaptureDue, type Waker } from './waker';
import { captureNext } from './capture';
import type { SagaContext } from './context';
import { runSagaConsumer, type SagaConsumerOptions } from './consumer';
import { PRUNE_BATCH, pruneApplied } from './sql/applied';
import { fireNextTimer } from './timers';

/**
 * The saga process: the consumer of the order topic, `captureConcurrency` capture workers, a timer worker,
 * and a prune of old applied ids once a minute. All of it runs until `stop` aborts, then finishes the work in flight (a transaction is never cut
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
    ...Array.from({ length: options.captureConcurrency }, (_, i) =>
      workLoop(ctx, 'capture', () => captureNext(ctx), capturePollMs(options, i), stop, captures),
    ),
    workLoop(ctx, 'timer', () => fireNextTimer(ctx), options.pollMs, stop),
    workLoop(ctx, 'prune', () => pruneStep(ctx), PRUNE_EVERY_MS, stop),
  ];
  try {
    await runSagaConsumer(ctx, options, stop);
  } finally {
    await Promise.all(workers);
    release();
  }
}

/** How often the saga deletes the ids of events consumed longer ago than SAGA_APPLIED_RETENTION_MS. */
const PRUNE_EVERY_MS = 60_000;

/** One prune statement; true while there may be more to delete at once. */
async function pruneStep(ctx: SagaContext): Promise<boolean> {
  const deleted = await ctx.store.transaction((executor) => pruneApplied(executor, ctx.appliedRetentionMs));
  return deleted === PRUNE_BATCH;
}

/**
 * How often an idle capture worker looks for work it was not woken for (a retry come due, a saga another
 * process started): the first every `pollMs`, the others `captureConcurrency` times less often, so that idle
 * workers cost about two polls' worth of queries, not one per worker. Any of them is woken by a new saga.
 */
export const capturePollMs = (options: SagaRunOptions, worker: number): number =>
  worker === 0 ? options.pollMs : options.pollMs * options.captureConcurrency;

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
