import type { Capture } from '../gateway';
import { cancelOrder, commitAll, markReadyToShip, recordPayment, refundCapture, releaseAll } from './actions';
import type { SagaTx } from './context';
import { lockStock } from './sql/lock-stock';
import { endSaga } from './sql/sagas';
import type { Saga, SagaData, SagaState } from './types';

/**
 * The two ways a saga ends once it holds stock: completed (paid, stock committed, order ready to ship), or
 * compensated in reverse order (a capture refunded, the stock released, the order cancelled with a reason).
 * Both run in the transaction that holds the saga's row lock, and end by clearing its timers (one statement).
 */

export interface Compensation {
  /** The final state: `compensated`, or `timed_out` when the payment timer fired. */
  state: Extract<SagaState, 'compensated' | 'timed_out'>;
  /** The reason on the order; also kept on the saga. */
  reason: string;
  /** Cancel the order (false when the customer already did). */
  cancel: boolean;
  /** A capture the gateway made for the order, to refund. */
  capture?: Capture | undefined;
}

export async function compensate(tx: SagaTx, saga: Saga, how: Compensation): Promise<void> {
  await lockStock(tx.executor, saga.data.reserved);
  let data: SagaData = { ...saga.data, reason: how.reason };
  const { capture } = how;
  if (capture?.status === 'captured') {
    const refundId = await refundCapture(tx, capture);
    data = { ...data, captureId: capture.id, ...(refundId ? { refundId } : {}) };
  }
  await releaseAll(tx, saga.data.reserved);
  data = { ...data, reserved: [] };
  if (how.cancel) await cancelOrder(tx, how.reason);
  await end(tx, saga, how.state, data);
}

/** Paid: the payment recorded, the reservations committed, the order ready to ship. */
export async function complete(tx: SagaTx, saga: Saga, capture: Capture): Promise<void> {
  await lockStock(tx.executor, saga.data.reserved);
  const paymentId = await recordPayment(tx, saga.data, capture);
  await commitAll(tx, saga.data.reserved);
  await markReadyToShip(tx);
  await end(tx, saga, 'completed', { ...saga.data, reserved: [], captureId: capture.id, paymentId });
}

async function end(tx: SagaTx, saga: Saga, state: SagaState, data: SagaData): Promise<void> {
  await endSaga(tx.executor, { orderId: saga.orderId, state, data, attempts: saga.attempts });
  const { metrics } = tx.ctx;
  (state === 'completed'
    ? metrics.completed
    : state === 'timed_out'
      ? metrics.timedOut
      : metrics.compensated
  ).inc();
  metrics.sagaSeconds.observe({ state }, (Date.now() - Date.parse(saga.startedAt)) / 1000);
}
