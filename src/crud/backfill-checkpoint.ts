import type { Executor } from '../db/executor';
import { TributaryError } from '../errors';

/**
 * The backfill's checkpoint, a row of `backfill_checkpoints` per entity: the primary key of the last row of
 * the pass done so far and its counts. Each chunk locks the row, reads from it where to go on, and moves it in
 * the chunk's own transaction, so the checkpoint says exactly which rows were handled: a killed run resumes
 * after the last committed chunk, and two runs at once take turns instead of doing a chunk twice.
 */
export interface BackfillCheckpoint {
  /** The primary column values of the last row handled, in primary column order; null before the first chunk. */
  lastKey: unknown[] | null;
  /** Rows of the pass handled so far (imported or skipped). */
  rowsSeen: number;
  /** Rows of the pass imported so far. */
  rowsImported: number;
  finished: boolean;
}

interface CheckpointRow {
  last_key: unknown[] | null;
  rows_seen: string;
  rows_imported: string;
  finished: boolean;
}

const toCheckpoint = (row: CheckpointRow): BackfillCheckpoint => ({
  lastKey: row.last_key,
  rowsSeen: Number(row.rows_seen),
  rowsImported: Number(row.rows_imported),
  finished: row.finished,
});

/** Creates the entity's checkpoint when it has none (a first pass); an existing one is left as it is. */
export const CREATE_CHECKPOINT_SQL = `insert into backfill_checkpoints (entity, stream_type) values ($1, $2)
on conflict (entity) do nothing`;

/** A finished pass starts again from the first row (a run after a finished one scans the table anew). */
export const RESTART_FINISHED_SQL = `update backfill_checkpoints
set last_key = null, rows_seen = 0, rows_imported = 0, started_at = now(), updated_at = now(), finished_at = null
where entity = $1 and finished_at is not null
returning entity`;

/** Locks the checkpoint until the chunk's transaction ends, and reads it. */
export const LOCK_CHECKPOINT_SQL = `select last_key, rows_seen::text, rows_imported::text,
  finished_at is not null as finished
from backfill_checkpoints where entity = $1 for update`;

/** Moves the checkpoint past a chunk; `$5` marks the pass finished. */
export const ADVANCE_CHECKPOINT_SQL = `update backfill_checkpoints
set last_key = coalesce($2::jsonb, last_key), rows_seen = rows_seen + $3, rows_imported = rows_imported + $4,
    updated_at = now(), finished_at = case when $5::boolean then now() end
where entity = $1`;

/**
 * Starts or resumes the entity's pass: its checkpoint, where an unfinished one resumes (`lastKey` not null when
 * an earlier run had left it half-way), and a finished one starts again from the first row.
 */
export async function beginPass(
  executor: Executor,
  entity: string,
  streamType: string,
): Promise<BackfillCheckpoint> {
  await executor.query(CREATE_CHECKPOINT_SQL, [entity, streamType]);
  await executor.query(RESTART_FINISHED_SQL, [entity]);
  return lockCheckpoint(executor, entity);
}

export async function lockCheckpoint(executor: Executor, entity: string): Promise<BackfillCheckpoint> {
  const [row] = await executor.query<CheckpointRow>(LOCK_CHECKPOINT_SQL, [entity]);
  if (!row) throw new TributaryError('internal', `backfill: no checkpoint for ${entity}`);
  return toCheckpoint(row);
}

export interface CheckpointAdvance {
  lastKey: unknown[] | null;
  rowsSeen: number;
  rowsImported: number;
  finished: boolean;
}

export async function advanceCheckpoint(
  executor: Executor,
  entity: string,
  advance: CheckpointAdvance,
): Promise<void> {
  await executor.query(ADVANCE_CHECKPOINT_SQL, [
    entity,
    advance.lastKey === null ? null : JSON.stringify(advance.lastKey),
    advance.rowsSeen,
    advance.rowsImported,
    advance.finished,
  ]);
}
