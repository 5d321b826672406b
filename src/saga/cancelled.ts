import { compensate } from './compensate';
import type { SagaContext, SagaTx } from './context';
import { captureKeyOf, reasons } from './rules';
import { markApplied } from './sql/applied';
import { lockSaga } from './sql/sagas';
import { addStep } from './sql/steps';
import type { ConsumedEvent, Handled } from './start';
import { isTerminal } from './types';

/**
 * OrderCancelled of an order whose saga is still running (the customer cancelled mid-saga): what was done is
 * undone — a capture the gateway made refunded (looked up by its key: its answer may have been lost), the
 * stock released. The order is already cancelled. A saga that ended (the saga's own cancellation among
 * them) changes nothing. While the gateway cannot answer, the transaction rolls back and the event is tried
 * again.
 */
export async function onOrderCancelled(ctx: SagaContext, event: ConsumedEvent): Promise<Handled> {
  return ctx.store.transaction(async (executor) => {
    if (!(await markApplied(executor, event.id))) return 'duplicate';
    const saga = await lockSaga(executor, event.aggregateId);
    if (!saga || isTerminal(saga.state)) return 'ignored';
    const tx: SagaTx = { ctx, executor, orderId: saga.orderId, causationId: event.id };
    const capture = await ctx.gateway.findCapture(captureKeyOf(saga.orderId));
    const reason = (event.change as { reason?: unknown }).reason;
    await addStep(executor, saga.orderId, 'customer-cancelled', 'failed', {
      reason: typeof reason === 'string' ? reason : null,
      captureFound: capture?.status ?? null,
    });
    await compensate(tx, saga, {
      state: 'compensated',
      reason: reasons.cancelledByCustomer,
      cancel: false,
      capture,
    });
    return 'handled';
  });
}
