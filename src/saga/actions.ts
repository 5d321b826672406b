import { orders, reducerOf } from '../commands';
import type { CommandOptions } from '../commands';
import { isOrder, type OrderState } from '../domain/orders/state';
import { TributaryError } from '../errors';
import type { Capture } from '../gateway';
import type { SagaTx } from './context';
import { paymentIdOf, refundKeyOf, SAGA_ACTOR } from './rules';
import { addStep } from './sql/steps';
import type { SagaData } from './types';

/**
 * The commands the saga issues, each in the saga's transaction (the command side joins it), with the saga as
 * the actor and the triggering event as the causation id, and each recorded as a step.
 */

function optionsOf(tx: SagaTx): CommandOptions {
  return {
    executor: tx.executor,
    metadata: { actor: SAGA_ACTOR, causationId: tx.causationId, correlationId: `saga-${tx.orderId}` },
  };
}

/** A refusal of the domain (`domain.rule`): an answer, not a failure. */
export const isRefusal = (error: unknown): error is TributaryError =>
  error instanceof TributaryError && error.code === 'domain.rule';

/** Reserves a line's units; false (and a failed step) when the stock cannot cover it. */
export async function reserve(tx: SagaTx, sku: string, quantity: number): Promise<boolean> {
  try {
    await tx.ctx.inventory.executeInventory(
      { type: 'ReserveStock', sku, orderId: tx.orderId, quantity, at: tx.ctx.now() },
      optionsOf(tx),
    );
  } catch (error) {
    if (!isRefusal(error)) throw error;
    await addStep(tx.executor, tx.orderId, 'reserve', 'failed', { sku, quantity, why: error.message });
    return false;
  }
  await addStep(tx.executor, tx.orderId, 'reserve', 'done', { sku, quantity });
  return true;
}

/** Releases every reservation the saga holds (a compensation). */
export async function releaseAll(tx: SagaTx, skus: readonly string[]): Promise<void> {
  for (const sku of skus) {
    await tx.ctx.inventory.executeInventory(
      { type: 'ReleaseStock', sku, orderId: tx.orderId, at: tx.ctx.now() },
      optionsOf(tx),
    );
    await addStep(tx.executor, tx.orderId, 'release', 'compensation', { sku });
  }
}

/** Commits every reservation: the units leave the stock. */
export async function commitAll(tx: SagaTx, skus: readonly string[]): Promise<void> {
  for (const sku of skus) {
    await tx.ctx.inventory.executeInventory(
      { type: 'CommitReservation', sku, orderId: tx.orderId, at: tx.ctx.now() },
      optionsOf(tx),
    );
  }
  await addStep(tx.executor, tx.orderId, 'commit-reservations', 'done', { skus });
}

/** Cancels the order with a reason the customer reads; an order already cancelled stays as it is. */
export async function cancelOrder(tx: SagaTx, reason: string): Promise<void> {
  try {
    await tx.ctx.orders.executeOrder(
      { type: 'CancelOrder', orderId: tx.orderId, reason, at: tx.ctx.now() },
      optionsOf(tx),
    );
  } catch (error) {
    if (!isRefusal(error)) throw error;
    await addStep(tx.executor, tx.orderId, 'cancel-order', 'failed', { reason, why: error.message });
    return;
  }
  await addStep(tx.executor, tx.orderId, 'cancel-order', 'compensation', { reason });
}

/** Records the captured amount as the order's payment (payments aggregate). */
export async function recordPayment(tx: SagaTx, data: SagaData, capture: Capture): Promise<string> {
  const paymentId = paymentIdOf(tx.orderId);
  await tx.ctx.orders.executePayment(
    {
      type: 'RecordPayment',
      paymentId,
      orderId: tx.orderId,
      amount: capture.amount,
      currency: data.currency,
      method: 'card',
      at: tx.ctx.now(),
    },
    optionsOf(tx),
  );
  await addStep(tx.executor, tx.orderId, 'record-payment', 'done', { paymentId, captureId: capture.id });
  return paymentId;
}

export async function markReadyToShip(tx: SagaTx): Promise<void> {
  await tx.ctx.orders.executeOrder(
    { type: 'MarkReadyToShip', orderId: tx.orderId, at: tx.ctx.now() },
    optionsOf(tx),
  );
  await addStep(tx.executor, tx.orderId, 'ready-to-ship', 'done');
}

/**
 * Refunds a capture at the gateway, once per order whoever retries (its idempotency key). A capture the
 * gateway shows refunded in full already (an earlier attempt's refund, whose transaction then rolled back or
 * whose process died) is recorded as refunded, without asking again. Returns the refund's id when it made one.
 */
export async function refundCapture(tx: SagaTx, capture: Capture): Promise<string | undefined> {
  if (capture.refundedAmount >= capture.amount) {
    await addStep(tx.executor, tx.orderId, 'refund', 'compensation', {
      captureId: capture.id,
      amount: capture.refundedAmount,
      refundedBefore: true,
    });
    return undefined;
  }
  const refund = await tx.ctx.gateway.refund({
    idempotencyKey: refundKeyOf(tx.orderId),
    captureId: capture.id,
    amount: capture.amount - capture.refundedAmount,
  });
  await addStep(tx.executor, tx.orderId, 'refund', 'compensation', {
    captureId: capture.id,
    refundId: refund.id,
    amount: refund.amount,
  });
  return refund.id;
}

/** The order's current status, read in the saga's transaction. */
export async function orderStatusOf(tx: SagaTx): Promise<OrderState['status']> {
  const loaded = await tx.ctx.store.load(orders.streamId(tx.orderId), reducerOf(orders), {}, tx.executor);
  return isOrder(loaded.state) ? loaded.state.status : 'initial';
}
