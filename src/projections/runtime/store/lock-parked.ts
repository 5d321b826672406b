import type { Executor } from '../../../db/executor';

/**
 * The aggregates among `aggregateIds` that are parked, locked FOR SHARE until the transaction ends: a replay
 * of one of them (which locks its row FOR UPDATE) waits for this batch, and this batch waits for a replay in
 * progress — then sees the row gone and applies the aggregate normally. So a batch never applies an event of
 * an aggregate whose dead letters are being replayed, and never parks one that a replay just released.
 */
export const LOCK_PARKED_SQL = `
  select aggregate_id from projection_parked
   where projector = $1 and aggregate_id = any($2::text[])
   order by aggregate_id
   for share`;

export async function lockParked(
  executor: Executor,
  projector: string,
  aggregateIds: readonly string[],
): Promise<Set<string>> {
  if (aggregateIds.length === 0) return new Set();
  const rows = await executor.query<{ aggregate_id: string }>(LOCK_PARKED_SQL, [projector, aggregateIds]);
  return new Set(rows.map((row) => row.aggregate_id));
}
