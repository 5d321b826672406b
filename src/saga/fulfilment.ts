import type { Executor } from '../db/executor';
import { readSaga } from './sql/sagas';
import { listSteps } from './sql/steps';
import type { SagaState, SagaStep } from './types';

/** The fulfilment of an order as `GET /orders/:id/fulfilment` shows it. */
export interface Fulfilment {
  orderId: string;
  state: SagaState;
  startedAt: string;
  updatedAt: string;
  amount: number;
  currency: string;
  /** Why it was compensated or timed out; null while running or once completed. */
  reason: string | null;
  /** Every step in order, with its time. */
  steps: SagaStep[];
  /** The steps that undid others (releases, refunds, the cancellation). */
  compensations: SagaStep[];
}

/** The order's fulfilment; undefined when no saga ever started for it. */
export async function readFulfilment(executor: Executor, orderId: string): Promise<Fulfilment | undefined> {
  const saga = await readSaga(executor, orderId);
  if (!saga) return undefined;
  const steps = await listSteps(executor, orderId);
  return {
    orderId,
    state: saga.state,
    startedAt: saga.startedAt,
    updatedAt: saga.updatedAt,
    amount: saga.data.amount,
    currency: saga.data.currency,
    reason: saga.data.reason ?? null,
    steps,
    compensations: steps.filter((step) => step.outcome === 'compensation'),
  };
}
