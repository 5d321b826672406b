import { withSavepoint } from '../db/executor';
import { TributaryError, toTributaryError } from '../errors';
import type { Capture } from '../gateway';
import { isRefusal, orderStatusOf } from './actions';
import { compensate, complete } from './compensate';
import type { SagaContext, SagaTx } from './context';
import { captureKeyOf, reasons, retryDelayMs } from './rules';
import { claimCapturing, postponeCapture, updateSaga } from './sql/sagas';
import { addStep } from './sql/steps';
import type { Saga } from './types';

/**
 * The capture worker's step: one saga in `capturing`, claimed with its row locked (FOR UPDATE SKIP LOCKED),
 * the gateway asked to capture with the order's idempotency key, and the answer applied in the same
 * transaction. The row lock is held across the gateway call (bounded by PAYMENT_GATEWAY_TIMEOUT_MS): the
 * saga's handling of a cancellation and the payment timer wait for the answer instead of racing it.
 *
 * captured → completed; declined → compensated; unavailable (a timeout, a lost answer) → the capture looked
 * up by its key, and when the gateway has none, tried again later with backoff, until the payment timer fires.
 * Returns false when no saga was due.
 */
export async function captureNext(ctx: SagaContext): Promise<boolean> {
  let claimed: Saga | undefined;
  try {
    return await captureInTransaction(ctx, (saga) => (claimed = saga));
  } catch (error) {
    // Rolled back: put the saga behind the others for a while, so one that keeps failing blocks no other.
    if (claimed) await postpone(ctx, claimed);
    throw error;
  }
}

async function captureInTransaction(ctx: SagaContext, onClaim: (saga: Saga) => void): Promise<boolean> {
  return ctx.store.transaction(async (executor) => {
    const saga = await claimCapturing(executor);
    if (!saga) return false;
    onClaim(saga);
    const tx: SagaTx = { ctx, executor, orderId: saga.orderId, causationId: saga.data.confirmedEventId };
    const answer = await askGateway(ctx, saga);
    if (answer instanceof TributaryError) return retryLater(tx, saga, answer);
    await addStep(executor, saga.orderId, 'capture', answer.status === 'captured' ? 'done' : 'failed', {
      captureId: answer.id,
      status: answer.status,
      ...(answer.declineReason ? { why: answer.declineReason } : {}),
    });
    if (answer.status === 'declined') {
      const how = {
        state: 'compensated',
        reason: reasons.declined(answer.declineReason),
        cancel: true,
      } as const;
      await compensate(tx, saga, how);
    } else {
      await completeOrRefund(tx, saga, answer);
    }
    return true;
  });
}

/**
 * Paid: completed — unless the customer cancelled the order while the capture was on its way or while the
 * completion was being written (the API does not wait for the saga's row lock), which the payment's check or
 * MarkReadyToShip refuses: then what the completion wrote is rolled back (a savepoint), the capture refunded
 * and the stock released, in the same transaction.
 */
async function completeOrRefund(tx: SagaTx, saga: Saga, capture: Capture): Promise<void> {
  try {
    await withSavepoint(tx.executor, () => complete(tx, saga, capture));
  } catch (error) {
    if (!isRefusal(error) || (await orderStatusOf(tx)) !== 'cancelled') throw error;
    await compensate(tx, saga, {
      state: 'compensated',
      reason: reasons.cancelledByCustomer,
      cancel: false,
      capture,
    });
  }
}

/** The capture, or the gateway's unavailability when neither the capture nor a lookup by its key answered. */
async function askGateway(ctx: SagaContext, saga: Saga): Promise<Capture | TributaryError> {
  const key = captureKeyOf(saga.orderId);
  const request = {
    idempotencyKey: key,
    orderId: saga.orderId,
    amount: saga.data.amount,
    currency: saga.data.currency,
  };
  try {
    return await ctx.gateway.capture(request);
  } catch (error) {
    const failure = toTributaryError(error);
    if (failure.code !== 'infra.unavailable') throw failure;
    // The capture may have happened with its answer lost: ask by key, never capture blindly again.
    try {
      return (await ctx.gateway.findCapture(key)) ?? failure;
    } catch (lookup) {
      return toTributaryError(lookup);
    }
  }
}

async function postpone(ctx: SagaContext, saga: Saga): Promise<void> {
  const attempts = saga.attempts + 1;
  const waitMs = retryDelayMs(attempts, ctx.retryBaseMs, ctx.retryMaxMs, Math.random());
  await ctx.store
    .transaction((executor) => postponeCapture(executor, saga.orderId, attempts, waitMs))
    .catch(() => undefined); // the saga is tried again at once instead: nothing is lost
}

async function retryLater(tx: SagaTx, saga: Saga, failure: TributaryError): Promise<true> {
  const attempts = saga.attempts + 1;
  const waitMs = retryDelayMs(attempts, tx.ctx.retryBaseMs, tx.ctx.retryMaxMs, Math.random());
  tx.ctx.metrics.failures.inc({ step: 'capture', code: failure.code });
  await addStep(tx.executor, saga.orderId, 'capture', 'retrying', {
    attempt: attempts,
    why: failure.message,
    retryInMs: waitMs,
  });
  const data = { ...saga.data, lastError: failure.message };
  await updateSaga(tx.executor, { orderId: saga.orderId, state: 'capturing', data, attempts }, waitMs);
  return true;
}
