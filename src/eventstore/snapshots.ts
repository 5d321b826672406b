import type { Executor } from '../db/executor';

/**
 * Snapshots of aggregate state. `snapshotVersion` names the reducer and state shape that built a snapshot;
 * loading (read-state.ts) asks for the current one only, so a snapshot built by older code is ignored, never trusted.
 */

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
