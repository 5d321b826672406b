import type { Executor } from '../db/executor';

/**
 * Snapshots of aggregate state. `snapshotVersion` names the reducer and state shape that built a snapshot;
 * loading asks for the current one only, so a snapshot built by older code is ignored, never trusted.
 */

export const READ_SNAPSHOT_SQL = `
select stream_version, state, max_occurred_at
from snapshots
where stream_id = $1
  and snapshot_version = $2
  and ($3::bigint is null or stream_version <= $3)
  and ($4::timestamptz is null or max_occurred_at <= $4)
order by stream_version desc
limit 1`;

export const WRITE_SNAPSHOT_SQL = `
insert into snapshots (stream_id, stream_version, snapshot_version, state, max_occurred_at)
values ($1, $2, $3, $4, $5)
on conflict (stream_id, stream_version) do update
  set snapshot_version = excluded.snapshot_version, state = excluded.state,
      max_occurred_at = excluded.max_occurred_at, created_at = now()`;

export interface Snapshot {
  version: number;
  state: unknown;
  /** Latest business time among the folded events. */
  maxOccurredAt: string;
}

export async function readSnapshot(
  executor: Executor,
  streamId: string,
  snapshotVersion: number,
  limits: { toVersion?: number; asOf?: Date } = {},
): Promise<Snapshot | undefined> {
  const rows = await executor.query<{ stream_version: string; state: unknown; max_occurred_at: Date }>(
    READ_SNAPSHOT_SQL,
    [streamId, snapshotVersion, limits.toVersion ?? null, limits.asOf?.toISOString() ?? null],
  );
  const row = rows[0];
  return row
    ? {
        version: Number(row.stream_version),
        state: row.state,
        maxOccurredAt: row.max_occurred_at.toISOString(),
      }
    : undefined;
}

export async function writeSnapshot(
  executor: Executor,
  streamId: string,
  snapshotVersion: number,
  snapshot: Snapshot,
): Promise<void> {
  await executor.query(WRITE_SNAPSHOT_SQL, [
    streamId,
    snapshot.version,
    snapshotVersion,
    JSON.stringify(snapshot.state),
    snapshot.maxOccurredAt,
  ]);
}
