import type { Executor } from '../../../db/executor';
import type { Freshness } from '../../types';

/**
 * How fresh a read model is, written by every batch: the newest event time applied so far (never moves
 * back), when, and each partition's lag as of its last batch (members of a consumer group own disjoint
 * partitions, so each writes its own keys).
 */
export const WRITE_CHECKPOINT_SQL = `
  insert into projection_checkpoints as c (projector, last_event_at, last_applied_at, lag)
  values ($1, $2::timestamptz, now(), jsonb_build_object($3::text, $4::bigint))
  on conflict (projector) do update set
    last_event_at = greatest(c.last_event_at, excluded.last_event_at),
    last_applied_at = now(),
    lag = c.lag || excluded.lag`;

export async function writeCheckpoint(
  executor: Executor,
  projector: string,
  lastEventAt: string | null,
  partitionKey: string,
  lagMessages: number,
): Promise<void> {
  await executor.query(WRITE_CHECKPOINT_SQL, [projector, lastEventAt, partitionKey, lagMessages]);
}

export const READ_FRESHNESS_SQL = `
  select last_event_at, last_applied_at,
         (select coalesce(sum(value::bigint), 0) from jsonb_each_text(lag)) as lag_messages
    from projection_checkpoints where projector = $1`;

/** The freshness of one projector's read model, as query responses report it. */
export async function readFreshness(
  executor: Executor,
  projector: string,
  now = new Date(),
): Promise<Freshness> {
  const [row] = await executor.query<{
    last_event_at: Date | null;
    last_applied_at: Date | null;
    lag_messages: string;
  }>(READ_FRESHNESS_SQL, [projector]);
  if (row === undefined) return { lastEventAt: null, lastAppliedAt: null, lagMessages: null, lagMs: null };
  return {
    lastEventAt: row.last_event_at?.toISOString() ?? null,
    lastAppliedAt: row.last_applied_at?.toISOString() ?? null,
    lagMessages: Number(row.lag_messages),
    // Caught up means fresh, however long ago the last event happened; otherwise, how far behind it is.
    lagMs:
      row.last_event_at === null
        ? null
        : Number(row.lag_messages) === 0
          ? 0
          : Math.max(0, now.getTime() - row.last_event_at.getTime()),
  };
}
