import type { DataSource, EntityMetadata, ObjectLiteral } from 'typeorm';
import type { AppendInput } from '../eventstore/append';
import type { EventStore, OutboxEntries } from '../eventstore/store';
import { advanceCheckpoint, lockCheckpoint, type BackfillCheckpoint } from './backfill-checkpoint';
import { readRowsAfter, keyOf } from './backfill-rows';
import { importStreams } from './backfill-write';
import { entityManagerExecutor } from './entity-manager-executor';
import { eventsOf, importChange, type SubscribedEntity } from './subscriber';

/** What every chunk of one backfill needs. */
export interface ChunkPlan {
  /** The checkpoint's key: the entity's name. */
  name: string;
  entry: SubscribedEntity<ObjectLiteral>;
  metadata: EntityMetadata;
  store: EventStore;
  outbox: OutboxEntries;
  chunkSize: number;
}

/** A chunk done: the checkpoint after it (the pass's counts so far) and this chunk's rows. */
export interface ChunkOutcome {
  checkpoint: BackfillCheckpoint;
  rows: number;
  imported: number;
}

/**
 * One chunk in one transaction: lock the checkpoint, read the next `chunkSize` rows after it, create the
 * streams of those without one, move the checkpoint past them. All of it commits together or not at all, so a
 * run killed at any point resumes after the last chunk that committed, and no chunk's import is lost or kept
 * without its checkpoint. A chunk shorter than `chunkSize` is the last one: the pass is finished.
 */
export function runChunk(dataSource: DataSource, plan: ChunkPlan): Promise<ChunkOutcome> {
  return dataSource.transaction(async (manager) => {
    const executor = entityManagerExecutor(manager);
    const before = await lockCheckpoint(executor, plan.name);
    if (before.finished) return { checkpoint: before, rows: 0, imported: 0 };
    const rows = await readRowsAfter(manager, plan.metadata, before.lastKey, plan.chunkSize);
    const inputs = importInputs(plan, rows);
    const created = await importStreams(executor, plan.store.outboxMode, inputs, plan.outbox);
    const last = rows[rows.length - 1];
    const advance = {
      lastKey: last === undefined ? null : keyOf(plan.metadata, last),
      rowsSeen: rows.length,
      rowsImported: created.size,
      finished: rows.length < plan.chunkSize,
    };
    await advanceCheckpoint(executor, plan.name, advance);
    const checkpoint = {
      lastKey: advance.lastKey ?? before.lastKey,
      rowsSeen: before.rowsSeen + rows.length,
      rowsImported: before.rowsImported + created.size,
      finished: advance.finished,
    };
    return { checkpoint, rows: rows.length, imported: created.size };
  });
}

/**
 * The import append of each row, with the subscriber's mapping (kind `import`). A row the mapping gives no
 * event is left out; a second row with the same stream id (an `idOf` that is not unique) too, so one
 * statement never creates a stream twice.
 */
export function importInputs(plan: ChunkPlan, rows: readonly ObjectLiteral[]): AppendInput[] {
  const { entry, metadata } = plan;
  const inputs = new Map<string, AppendInput>();
  for (const row of rows) {
    const change = importChange(entry, metadata, row);
    const events = eventsOf(entry, metadata, change);
    const streamId = `${entry.aggregateType}-${change.id}`;
    if (events.length === 0 || inputs.has(streamId)) continue;
    inputs.set(streamId, {
      streamId,
      streamType: entry.aggregateType,
      expected: 'no_stream',
      events,
      ...(entry.metadata ? { metadata: entry.metadata(change) } : {}),
    });
  }
  return [...inputs.values()];
}
