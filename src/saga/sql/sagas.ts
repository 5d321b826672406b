import type { Executor } from '../../db/executor';
import type { Saga, SagaData, SagaState } from '../types';

/**
 * The `sagas` rows. Every change of a saga happens with its row locked (FOR UPDATE): the consumer, the capture
 * worker and the timer worker, in any process, take turns on one saga, so no step runs twice.
 */

interface SagaRow {
  order_id: string;
  state: SagaState;
  data: SagaData;
  attempts: number;
  started_at: Date;
  updated_at: Date;
}

const COLUMNS = 'order_id, state, data, attempts, started_at, updated_at';

function toSaga(row: SagaRow): Saga {
  return {
    orderId: row.order_id,
    state: row.state,
    data: row.data,
    attempts: row.attempts,
    startedAt: row.started_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export const INSERT_SAGA_SQL = `
insert into sagas (order_id, state, data) values ($1, $2, $3)
on conflict (order_id) do nothing
returning ${COLUMNS}`;

/** A new saga; undefined when the order already has one. */
export async function insertSaga(
  executor: Executor,
  orderId: string,
  state: SagaState,
  data: SagaData,
): Promise<Saga | undefined> {
  const [row] = await executor.query<SagaRow>(INSERT_SAGA_SQL, [orderId, state, JSON.stringify(data)]);
  return row && toSaga(row);
}

export const LOCK_SAGA_SQL = `select ${COLUMNS} from sagas where order_id = $1 for update`;

/** The order's saga, locked until the transaction ends; undefined when it has none. */
export async function lockSaga(executor: Executor, orderId: string): Promise<Saga | undefined> {
  const [row] = await executor.query<SagaRow>(LOCK_SAGA_SQL, [orderId]);
  return row && toSaga(row);
}

export const READ_SAGA_SQL = `select ${COLUMNS} from sagas where order_id = $1`;

export async function readSaga(executor: Executor, orderId: string): Promise<Saga | undefined> {
  const [row] = await executor.query<SagaRow>(READ_SAGA_SQL, [orderId]);
  return row && toSaga(row);
}

export const UPDATE_SAGA_SQL = `
update sagas
   set state = $2, data = $3, attempts = $4,
       next_attempt_at = now() + make_interval(secs => $5::double precision / 1000), updated_at = now()
 where order_id = $1`;

/** The saga's new state and data; `retryInMs` is when the capture worker may try it next. */
export async function updateSaga(
  executor: Executor,
  saga: Pick<Saga, 'orderId' | 'state' | 'data' | 'attempts'>,
  retryInMs = 0,
): Promise<void> {
  await executor.query(UPDATE_SAGA_SQL, [
    saga.orderId,
    saga.state,
    JSON.stringify(saga.data),
    saga.attempts,
    retryInMs,
  ]);
}

export const CLAIM_CAPTURING_SQL = `
select ${COLUMNS} from sagas
 where state = 'capturing' and next_attempt_at <= now()
 order by next_attempt_at
 limit 1
 for update skip locked`;

/**
 * One saga due for a capture attempt, locked; sagas other workers hold are skipped, so workers in any number
 * of processes never try the same saga at once.
 */
export async function claimCapturing(executor: Executor): Promise<Saga | undefined> {
  const [row] = await executor.query<SagaRow>(CLAIM_CAPTURING_SQL);
  return row && toSaga(row);
}

export const POSTPONE_CAPTURE_SQL = `
update sagas
   set attempts = $2, next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
 where order_id = $1 and state = 'capturing'`;

/** Moves a capturing saga's next attempt later (after an attempt that failed and rolled back). */
export async function postponeCapture(
  executor: Executor,
  orderId: string,
  attempts: number,
  waitMs: number,
): Promise<void> {
  await executor.query(POSTPONE_CAPTURE_SQL, [orderId, attempts, waitMs]);
}
