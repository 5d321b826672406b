import { compensate } from './compensate';
import type { SagaContext, SagaTx } from './context';
import { captureKeyOf, reasons } from './rules';
import { lockSaga } from './sql/sagas';
import { addStep } from './sql/steps';
import { claimDueTimer, clearTimers } from './sql/timers';
import { isTerminal } from './types';

/**
 * The timer worker's step: one timer due now, claimed with its saga's row (FOR UPDATE SKIP LOCKED). The
 * payment or reservation timer (whichever fires first) first asks the gateway whether the capture happened after all (a lost answer): a capture
 * found is refunded; then the stock is released and the order cancelled, `timed_out`. While the gateway
 * cannot answer, the transaction rolls back and the timer stays due: it fires at the next try.
 * Returns false when no timer was due.
 */
export async function fireNextTimer(ctx: SagaContext): Promise<boolean> {
  return ctx.store.transaction(async (executor) => {
    const due = await claimDueTimer(executor);
    if (!due) return false;
    const saga = await lockSaga(executor, due.orderId);
    if (!saga || isTerminal(saga.state)) {
      await clearTimers(executor, due.orderId);
      return true;
    }
    const tx: SagaTx = { ctx, executor, orderId: saga.orderId, causationId: saga.data.confirmedEventId };
    const capture = await ctx.gateway.findCapture(captureKeyOf(saga.orderId));
    await addStep(executor, saga.orderId, 'timer-fired', 'failed', {
      kind: due.kind,
      captureFound: capture?.status ?? null,
    });
    await compensate(tx, saga, {
      state: 'timed_out',
      reason: due.kind === 'payment' ? reasons.notCapturedInTime : reasons.heldTooLong,
      cancel: true,
      capture,
    });
    return true;
  });
}
