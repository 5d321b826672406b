import type { OrderView } from '../domain/orders/view';
import { orderStatusOf, reserve } from './actions';
import { compensate } from './compensate';
import type { SagaContext, SagaTx } from './context';
import { reasons } from './rules';
import { markApplied } from './sql/applied';
import { lockStock } from './sql/lock-stock';
import { insertSaga, updateSaga } from './sql/sagas';
import { addStep } from './sql/steps';
import { setTimer } from './sql/timers';
import type { Saga, SagaData } from './types';

/** An order event as the saga consumes it (decoded from its CloudEvent, upcast). */
export interface ConsumedEvent {
  id: string;
  type: string;
  aggregateId: string;
  change: unknown;
  state: OrderView;
}

export type Handled = 'duplicate' | 'ignored' | 'handled';

/**
 * OrderConfirmed, in one transaction: the event marked applied, the saga created, every line's stock reserved
 * (inventory appends on the same transaction), then either `capturing` with its payment and reservation
 * timers, or — a line
 * out of stock — what was reserved released, the order cancelled, `compensated`.
 */
export async function startSaga(ctx: SagaContext, event: ConsumedEvent): Promise<Handled> {
  return ctx.store.transaction(async (executor) => {
    if (!(await markApplied(executor, event.id))) return 'duplicate';
    const orderId = event.aggregateId;
    const data: SagaData = {
      lines: event.state.lines.map((line) => ({ sku: line.sku, quantity: line.quantity })),
      amount: event.state.totalAmount,
      currency: event.state.currency,
      confirmedEventId: event.id,
      reserved: [],
    };
    const saga = await insertSaga(executor, orderId, 'reserving', data);
    if (!saga) return 'ignored'; // confirmed twice cannot happen; a saga runs once per order regardless
    ctx.metrics.started.inc();
    const tx: SagaTx = { ctx, executor, orderId, causationId: event.id };
    await addStep(executor, orderId, 'started', 'done', { amount: data.amount, currency: data.currency });
    if ((await orderStatusOf(tx)) === 'cancelled') {
      // Cancelled before the saga saw its confirmation: nothing to reserve, nothing to charge.
      await addStep(executor, orderId, 'customer-cancelled', 'failed');
      await compensate(tx, saga, {
        state: 'compensated',
        reason: 'cancelled by the customer',
        cancel: false,
      });
    } else {
      await reserveLines(tx, saga);
    }
    return 'handled';
  });
}

async function reserveLines(tx: SagaTx, saga: Saga): Promise<void> {
  const { lines } = saga.data;
  await lockStock(
    tx.executor,
    lines.map((line) => line.sku),
  );
  const reserved: string[] = [];
  for (const line of lines) {
    if (!(await reserve(tx, line.sku, line.quantity))) {
      const held = { ...saga, data: { ...saga.data, reserved } };
      const how = { state: 'compensated', reason: reasons.outOfStock(line.sku), cancel: true } as const;
      return compensate(tx, held, how);
    }
    reserved.push(line.sku);
  }
  const data = { ...saga.data, reserved };
  await updateSaga(tx.executor, { orderId: saga.orderId, state: 'capturing', data, attempts: 0 });
  await setTimer(tx.executor, saga.orderId, 'payment', tx.ctx.paymentTimeoutMs);
  await setTimer(tx.executor, saga.orderId, 'reservation', tx.ctx.reservationTimeoutMs);
}
