import { TributaryError } from '../errors';
import type { Executor } from '../db/executor';

/**
 * Outbox retention that can never remove an entry before it is published.
 *
 * The relay acknowledges a WAL position to its replication slot only after Kafka acknowledged everything
 * before it, so "published" means "committed before the slot's confirmed_flush_lsn". A row does not know its
 * commit LSN, so each prune run leaves a mark: the current snapshot and the current WAL insert position.
 * Every transaction visible in that snapshot had written its commit record before that position. Once the
 * slot has confirmed past a mark's position, the rows of every transaction visible in the mark's snapshot are
 * published and may go. Rows of transactions that were still running at the mark are not visible in it, so
 * they wait for a later mark.
 */

export const SLOT_POSITION_SQL = `select confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = $1`;

/** The newest mark the slot has passed. */
export const PASSED_MARK_SQL = `
select id from outbox_retention_marks where wal_lsn <= $1::pg_lsn order by id desc limit 1`;

/** Deletes published rows older than the minimum age, in bounded batches. */
export const DELETE_PUBLISHED_SQL = `
with doomed as (
  select o.id from outbox o, outbox_retention_marks m
  where m.id = $1
    and pg_visible_in_snapshot(o.transaction_id, m.snapshot)
    and o.created_at < now() - make_interval(secs => $2::double precision / 1000)
  limit $3
)
delete from outbox where id in (select id from doomed)`;

export const DROP_MARKS_SQL = `delete from outbox_retention_marks where id < $1`;

export const NEW_MARK_SQL = `
insert into outbox_retention_marks (snapshot, wal_lsn) values (pg_current_snapshot(), pg_current_wal_insert_lsn())`;

export interface PruneOptions {
  /** The relay's replication slot: its confirmed position says what is published. */
  slotName: string;
  /** Keep entries at least this long even when published (for inspection and manual replay). */
  minAgeMs: number;
  /** Upper bound of rows deleted per statement. */
  batchSize?: number;
}

export interface PruneResult {
  deleted: number;
  /** The slot position the run relied on. */
  confirmedLsn: string;
}

/**
 * Deletes outbox entries proven published and older than `minAgeMs`, then leaves a new mark. Run it
 * periodically (each run can only delete what the previous runs marked). Fails when the slot does not
 * exist: without it nothing can be proven published.
 */
export async function pruneOutbox(executor: Executor, options: PruneOptions): Promise<PruneResult> {
  const slot = await executor.query<{ lsn: string | null }>(SLOT_POSITION_SQL, [options.slotName]);
  const confirmedLsn = slot[0]?.lsn;
  if (!confirmedLsn) {
    throw new TributaryError(
      'input.invalid',
      `replication slot ${options.slotName} does not exist (or has confirmed nothing): cannot prove which outbox entries were published, so none were deleted`,
    );
  }
  let deleted = 0;
  const [mark] = await executor.query<{ id: string }>(PASSED_MARK_SQL, [confirmedLsn]);
  if (mark) {
    const batchSize = options.batchSize ?? 10_000;
    for (;;) {
      const rows = await executor.query<{ id: string }>(`${DELETE_PUBLISHED_SQL} returning id`, [
        mark.id,
        options.minAgeMs,
        batchSize,
      ]);
      deleted += rows.length;
      if (rows.length < batchSize) break;
    }
    // Older marks are covered by this one (their snapshots are subsets); keep this one for rows below minAge.
    await executor.query(DROP_MARKS_SQL, [mark.id]);
  }
  await executor.query(NEW_MARK_SQL);
  return { deleted, confirmedLsn };
}
