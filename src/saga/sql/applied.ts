import type { Executor } from '../../db/executor';

/**
 * Records that the saga consumed an event, in the transaction of its effect: true the first time, false for
 * a redelivery (whose effect is already committed, so it must change nothing).
 */
export const MARK_APPLIED_SQL = `
insert into saga_applied_events (event_id) values ($1)
on conflict (event_id) do nothing
returning event_id`;

export async function markApplied(executor: Executor, eventId: string): Promise<boolean> {
  const rows = await executor.query(MARK_APPLIED_SQL, [eventId]);
  return rows.length === 1;
}
