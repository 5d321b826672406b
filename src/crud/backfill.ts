import type { DataSource, EntityMetadata, ObjectLiteral } from 'typeorm';
import { isRetriable, toTributaryError, TributaryError } from '../errors';
import { oneToOneOutbox, type EventStore, type OutboxEntries } from '../eventstore/store';
import { sleep } from '../util';
import { beginPass } from './backfill-checkpoint';
import { runChunk, type ChunkPlan } from './backfill-chunk';
import { countRows } from './backfill-rows';
import { entityManagerExecutor } from './entity-manager-executor';
import type { SubscribedEntity, SubscribedTarget } from './subscriber';

/**
 * The backfill: one `import` event (default `<Entity>Imported`, the row's columns) per existing row of a
 * subscribed entity, on the stream the subscriber writes (`<aggregateType>-<id>`), created with
 * `expected: 'no_stream'` so a row whose stream exists (imported before, or changed through the subscriber
 * since) is skipped. Chunked by primary key, resumable from the checkpoint in `backfill_checkpoints`, safe
 * while the app keeps writing: docs/backfill.md says how no row is missed and none imported twice.
 */

export const DEFAULT_CHUNK_SIZE = 1000;
export const MAX_CHUNK_SIZE = 50_000;
/** A chunk that fails with a retriable error (a deadlock with an app transaction, say) is tried this often. */
const CHUNK_ATTEMPTS = 5;

export interface BackfillOptions<E extends ObjectLiteral = ObjectLiteral> {
  /** The event store the subscriber appends with (its outbox mode is the one the imports use). */
  store: EventStore;
  /** The subscriber's mapping of the entity: target, aggregateType, idOf, toEvent (kind `import`), metadata. */
  entity: SubscribedEntity<E>;
  /** The integration events of the import events, as the subscriber's (default: one per event). */
  outbox?: OutboxEntries;
  /** Rows per chunk (one transaction each); default 1000. */
  chunkSize?: number;
  /** Called after each chunk that committed. */
  onProgress?: (progress: BackfillProgress) => void;
  /** Stops between chunks (what committed stays; the next run resumes there). */
  signal?: AbortSignal;
}

export interface BackfillProgress {
  /** The entity's name (the checkpoint's key). */
  entity: string;
  /** Rows in the table when the run started (soft-deleted ones included). */
  total: number;
  /** Rows of this pass handled so far, by this run and the runs it resumed. */
  rowsSeen: number;
  /** Of these, rows imported (the others had a stream, or the mapping gave no event). */
  rowsImported: number;
  /** `rowsSeen` when this run started: more than 0 when it resumed an unfinished pass. */
  resumedAt: number;
  /** Time this run has taken so far. */
  elapsedMs: number;
  finished: boolean;
}

export type BackfillResult = BackfillProgress;

/** The backfill of one entity, from its checkpoint to the end of the table (or until `signal` aborts). */
export async function backfill<E extends ObjectLiteral>(
  dataSource: DataSource,
  options: BackfillOptions<E>,
): Promise<BackfillResult> {
  const plan = planOf(dataSource, options);
  const started = Date.now();
  const begun = await dataSource.transaction((manager) =>
    beginPass(entityManagerExecutor(manager), plan.name, plan.entry.aggregateType),
  );
  const total = await countRows(dataSource.manager, plan.metadata);
  let progress: BackfillProgress = {
    entity: plan.name,
    total,
    rowsSeen: begun.rowsSeen,
    rowsImported: begun.rowsImported,
    resumedAt: begun.rowsSeen,
    elapsedMs: 0,
    finished: begun.finished,
  };
  while (!progress.finished && !options.signal?.aborted) {
    const { checkpoint } = await withRetries(() => runChunk(dataSource, plan), options.signal);
    progress = {
      ...progress,
      total: Math.max(total, checkpoint.rowsSeen),
      rowsSeen: checkpoint.rowsSeen,
      rowsImported: checkpoint.rowsImported,
      elapsedMs: Date.now() - started,
      finished: checkpoint.finished,
    };
    options.onProgress?.(progress);
  }
  return { ...progress, elapsedMs: Date.now() - started };
}

function planOf<E extends ObjectLiteral>(dataSource: DataSource, options: BackfillOptions<E>): ChunkPlan {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
    throw new TributaryError('input.invalid', `chunk size must be an integer from 1 to ${MAX_CHUNK_SIZE}`);
  }
  const entry = options.entity as SubscribedEntity<ObjectLiteral>;
  if (!entry.aggregateType) throw new TributaryError('input.invalid', 'backfill: the aggregateType is empty');
  if (!dataSource.isInitialized) {
    throw new TributaryError('input.invalid', 'backfill: initialize the data source first');
  }
  const metadata = metadataOf(dataSource, entry.target);
  return {
    name: metadata.name,
    entry,
    metadata,
    store: options.store,
    outbox: options.outbox ?? oneToOneOutbox,
    chunkSize,
  };
}

/** The entity's metadata, which must have a primary key (the backfill pages and resumes by it). */
export function metadataOf(dataSource: DataSource, target: SubscribedTarget<ObjectLiteral>): EntityMetadata {
  const metadata = dataSource.entityMetadatas.find((candidate) => matches(target, candidate));
  const name = typeof target === 'string' ? target : 'options' in target ? target.options.name : target.name;
  if (!metadata) {
    const known = dataSource.entityMetadatas.map((m) => m.name).join(', ') || 'none';
    throw new TributaryError(
      'input.invalid',
      `${name} is not an entity of the data source (it has: ${known})`,
    );
  }
  if (metadata.primaryColumns.length === 0) {
    throw new TributaryError(
      'input.invalid',
      `${metadata.name} (table ${metadata.tablePath}) has no primary key: the backfill pages and resumes by it`,
    );
  }
  requireExactKey(metadata);
  return metadata;
}

const TIME_TYPES = /^(timestamp|timestamptz|time|timetz|datetime)\b/i;

/**
 * A primary key the checkpoint can hold exactly. A time column read into JavaScript loses its microseconds,
 * so paging after it could read the same rows again and, with a whole chunk in one millisecond, never move on.
 */
export function requireExactKey(
  metadata: Pick<EntityMetadata, 'name' | 'tablePath' | 'primaryColumns'>,
): void {
  const inexact = metadata.primaryColumns.find(
    (column) => column.type === Date || (typeof column.type === 'string' && TIME_TYPES.test(column.type)),
  );
  if (inexact === undefined) return;
  throw new TributaryError(
    'input.invalid',
    `${metadata.name} (table ${metadata.tablePath}) has the time column ${inexact.databaseName} in its primary key: the backfill pages by the key, and JavaScript dates drop microseconds; add a unique id column to page by, or import these rows with appendWithin`,
  );
}

function matches(target: SubscribedTarget<ObjectLiteral>, metadata: EntityMetadata): boolean {
  if (typeof target === 'string') return metadata.name === target || metadata.target === target;
  const wanted = 'options' in target ? (target.options.target ?? target.options.name) : target;
  return metadata.target === wanted;
}

/** Runs a chunk again after a retriable failure (a deadlock, a dropped connection): nothing of it committed. */
async function withRetries<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= CHUNK_ATTEMPTS || !isRetriable(error)) throw toTributaryError(error);
      await sleep(100 * attempt, signal);
    }
  }
}

/**
 * What `tributary crud backfill --config PATH` loads: the app's DataSource, the event store and the subscriber's
 * mapping (the very options given to `outboxSubscriberClass`, so the backfill maps rows as the subscriber does).
 */
export interface CrudConfig {
  dataSource: DataSource;
  store: EventStore;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry is typed by its own target
  entities: readonly SubscribedEntity<any>[];
  outbox?: OutboxEntries;
}
