import type { Executor } from '../../db/executor';
import type { TimerKind } from '../types';

/**
 * Durable timers: a row per saga and kind with the time it fires. Nothing in memory counts down, so a timer
 * fires on time (give or take the poll interval) even when every process restarted meanwhile.
 */

export const CLEAR_TIMERS_SQL = `delete from saga_timers where order_id = $1`;

/** Removes every timer of a saga that ended. */
export async function clearTimers(executor: Executor, orderId: string): Promise<void> {
  await executor.query(CLEAR_TIMERS_SQL, [orderId]);
}

export const CLAIM_DUE_TIMER_SQL = `
select t.order_id, t.kind from saga_timers t
  join sagas s on s.order_id = t.order_id
 where t.fire_at <= now()
 order by t.fire_at
 limit 1
 for update of s, t skip locked`;

/** One timer due now with its saga, both locked; those other workers hold are skipped. */
export async function claimDueTimer(
  executor: Executor,
): Promise<{ orderId: string; kind: TimerKind } | undefined> {
  const [row] = await executor.query<{ order_id: string; kind: TimerKind }>(CLAIM_DUE_TIMER_SQL);
  return row && { orderId: row.order_id, kind: row.kind };
}
