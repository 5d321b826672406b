import type { OrderView } from '../domain/orders/view';
import { orderStatusOf, reserve } from './actions';
import { compensate } from './compensate';
import type { SagaContext, SagaTx } from './context';
import { reasons } from './rules';
import { captureDue } from './waker';
import { lockStock } from './sql/lock-stock';
import { awaitCapture, beginSaga } from './sql/sagas';
import { addStep } from './sql/steps';
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
 * timers, or — a line out of stock — what was reserved released, the order cancelled, `compensated`.
 */
export async function startSaga(ctx: SagaContext, event: ConsumedEvent): Promise<Handled> {
  const handled = await startInTransaction(ctx, event);
  if (handled === 'handled') captureDue(ctx); // committed: a capture worker may claim it now
  return handled;
}

async function startInTransaction(ctx: SagaContext, event: ConsumedEvent): Promise<Handled> {
  return ctx.store.transaction(async (executor) => {
    const orderId = event.aggregateId;
    const data: SagaData = {
      lines: event.state.lines.map((line) => ({ sku: line.sku, quantity: line.quantity })),
      amount: event.state.totalAmount,
      currency: event.state.currency,
      confirmedEventId: event.id,
      reserved: [],
    };
    // The event marked applied, the saga created, its `started` step: one statement.
    const saga = await beginSaga(executor, event.id, orderId, data, {
      amount: data.amount,
      currency: data.currency,
    });
    if (saga === 'duplicate') return 'duplicate';
    if (saga === 'exists') return 'ignored'; // confirmed twice cannot happen; a saga runs once per order regardless
    ctx.metrics.started.inc();
    const tx: SagaTx = { ctx, executor, orderId, causationId: event.id };
    if ((await orderStatusOf(tx)) === 'cancelled') {
      // Cancelled before the saga saw its confirmation: nothing to reserve, nothing to charge.
      await addStep(executor, orderId, 'customer-cancelled', 'failed');
      await compensate(tx, saga, {
        state: 'compensated',
        reason: reasons.cancelledByCustomer,
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
  await awaitCapture(tx.executor, saga.orderId, data, [
    { kind: 'payment', inMs: tx.ctx.paymentTimeoutMs },
    { kind: 'reservation', inMs: tx.ctx.reservationTimeoutMs },
  ]);
}
