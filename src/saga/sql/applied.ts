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

/** Batch of old applied ids one prune statement deletes (a short transaction, whatever the backlog). */
export const PRUNE_BATCH = 10_000;

export const PRUNE_APPLIED_SQL = `
delete from saga_applied_events
 where event_id in (select event_id from saga_applied_events
                     where applied_at < now() - make_interval(secs => $1::double precision / 1000)
                     limit $2)`;

/**
 * Deletes up to PRUNE_BATCH ids applied more than `olderThanMs` ago; returns how many. Safe once Kafka can no
 * longer redeliver them; and a redelivered OrderConfirmed whose id is gone still finds its saga row (one saga
 * per order), an OrderCancelled its saga ended.
 */
export async function pruneApplied(executor: Executor, olderThanMs: number): Promise<number> {
  const rows = await executor.query<{ n: number }>(
    `with gone as (${PRUNE_APPLIED_SQL} returning 1) select count(*)::int as n from gone`,
    [olderThanMs, PRUNE_BATCH],
  );
  return rows[0]?.n ?? 0;
}
