import type { Executor } from '../db/executor';
import type { EventRow } from './rows';

/**
 * Everything `loadState` needs in one round trip: the latest usable snapshot (first row, kind 0, its state in
 * `data` and its latest business time in `occurred_at`), then the events after it (kind 1), in version order.
 * A snapshot is usable when built by `snapshot_version` $2, at or before version $3 and, for "as of" $4,
 * folding no event that occurred after it.
 */
export const READ_STATE_SQL = `
with snapshot as (
  select stream_version, state, max_occurred_at
  from snapshots
  where stream_id = $1 and snapshot_version = $2
    and ($3::bigint is null or stream_version <= $3)
    and ($4::timestamptz is null or max_occurred_at <= $4)
  order by stream_version desc
  limit 1
)
select 0 as kind, null::text as position, null::text as transaction_id, $1 as stream_id, null::text as stream_type,
       stream_version, null::uuid as event_id, null::text as event_type, null::int as schema_version,
       state as data, null::jsonb as metadata, max_occurred_at as occurred_at, null::timestamptz as recorded_at
from snapshot
union all
select 1, global_position::text, transaction_id::text, stream_id, stream_type, stream_version, event_id,
       event_type, schema_version, data, metadata, occurred_at, recorded_at
from events
where stream_id = $1
  and stream_version > coalesce((select stream_version from snapshot), 0)
  and ($3::bigint is null or stream_version <= $3)
  and ($4::timestamptz is null or occurred_at <= $4)
order by kind, stream_version`;

export type StateRow = EventRow & { kind: 0 | 1 };

/** `snapshotVersion` -1 matches no snapshot (a load without snapshots). */
export function readStateRows(
  executor: Executor,
  streamId: string,
  snapshotVersion: number,
  limits: { toVersion?: number; asOf?: Date },
): Promise<StateRow[]> {
  return executor.query<StateRow>(READ_STATE_SQL, [
    streamId,
    snapshotVersion,
    limits.toVersion ?? null,
    limits.asOf?.toISOString() ?? null,
  ]);
}
