import type { Executor } from '../db/executor';

/**
 * Streams of one type with an event that a transaction snapshot (`transactionSnapshot`) did not see:
 * committed after it was taken, or in flight then. Reads through the (transaction id, position) index from
 * the snapshot's xmin.
 */
export const STREAMS_CHANGED_SINCE_SQL = `
select distinct stream_id from events
 where transaction_id >= pg_snapshot_xmin($1::pg_snapshot)
   and not pg_visible_in_snapshot(transaction_id, $1::pg_snapshot)
   and stream_type = $2`;

export async function streamsChangedSince(
  executor: Executor,
  snapshot: string,
  streamType: string,
): Promise<string[]> {
  const rows = await executor.query<{ stream_id: string }>(STREAMS_CHANGED_SINCE_SQL, [snapshot, streamType]);
  return rows.map((row) => row.stream_id);
}
