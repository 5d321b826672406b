import type { Executor } from '../../db/executor';
import type { Saga, SagaData, SagaState, TimerKind } from '../types';

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

export const BEGIN_SAGA_SQL = `
with applied as (
  insert into saga_applied_events (event_id) values ($1)
  on conflict (event_id) do nothing
  returning event_id
), saga as (
  insert into sagas (order_id, state, data)
  select $2, $3, $4 from applied
  on conflict (order_id) do nothing
  returning ${COLUMNS}
), started as (
  insert into saga_steps (order_id, seq, step, outcome, detail)
  select order_id, 1, 'started', 'done', $5 from saga
)
select (select count(*) from applied)::int as applied, saga.* from (select 1) one left join saga on true`;

/**
 * In one statement: the event marked applied (as MARK_APPLIED_SQL does), the saga inserted and its
 * first step, `started`, recorded. 'duplicate' when the event was applied before (nothing written), 'exists'
 * when the order already has a saga (only the event marked applied), else the new saga.
 */
export async function beginSaga(
  executor: Executor,
  eventId: string,
  orderId: string,
  data: SagaData,
  started: Record<string, unknown>,
): Promise<Saga | 'duplicate' | 'exists'> {
  const [row] = await executor.query<SagaRow & { applied: number }>(BEGIN_SAGA_SQL, [
    eventId,
    orderId,
    'reserving',
    JSON.stringify(data),
    JSON.stringify(started),
  ]);
  if (!row || row.applied === 0) return 'duplicate';
  return row.order_id ? toSaga(row) : 'exists';
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

export const AWAIT_CAPTURE_SQL = `
with saga as (
  update sagas
     set state = 'capturing', data = $2, attempts = 0, next_attempt_at = now(), updated_at = now()
   where order_id = $1
  returning order_id
)
insert into saga_timers (order_id, kind, fire_at)
select saga.order_id, t.kind, now() + make_interval(secs => t.ms / 1000)
  from saga cross join unnest($3::text[], $4::double precision[]) as t (kind, ms)
on conflict (order_id, kind) do update set fire_at = excluded.fire_at`;

/** In one statement: the saga `capturing` (as UPDATE_SAGA_SQL) and its timers set, each to fire in `inMs`. */
export async function awaitCapture(
  executor: Executor,
  orderId: string,
  data: SagaData,
  timers: readonly { kind: TimerKind; inMs: number }[],
): Promise<void> {
  await executor.query(AWAIT_CAPTURE_SQL, [
    orderId,
    JSON.stringify(data),
    timers.map((timer) => timer.kind),
    timers.map((timer) => timer.inMs),
  ]);
}

export const END_SAGA_SQL = `
with saga as (
  update sagas
     set state = $2, data = $3, attempts = $4, next_attempt_at = now(), updated_at = now()
   where order_id = $1
)
delete from saga_timers where order_id = $1`;

/** In one statement: the saga's final state (UPDATE_SAGA_SQL) and its timers cleared (CLEAR_TIMERS_SQL). */
export async function endSaga(
  executor: Executor,
  saga: Pick<Saga, 'orderId' | 'state' | 'data' | 'attempts'>,
): Promise<void> {
  await executor.query(END_SAGA_SQL, [saga.orderId, saga.state, JSON.stringify(saga.data), saga.attempts]);
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
