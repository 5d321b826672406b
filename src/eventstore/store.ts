import type { Pool } from 'pg';
import { toOutboxEntry, withStateAfter } from '../outbox/mapping';
import type { OutboxEntry, OutboxMode } from '../outbox/types';
import { writeOutbox } from '../outbox/write';
import { Executor, pgExecutor, withTransaction } from '../db/executor';
import { toTributaryError } from '../errors';
import { appendToStream, AppendInput } from './append';
import { appendWithOutbox, fitsOneStatement } from './append-with-outbox';
import { createGroupAppender } from './group-append';
import { createGroupLoader } from './group-load';
import { loadState, Loaded, LoadOptions, Reducer } from './load';
import { Checkpoint, readAll, ReadAllResult } from './read-all';
import { readStream, ReadStreamOptions } from './read-stream';
import type { AppendResult, PendingEvent, StoredEvent } from './types';
import type { Upcast } from './upcast';
import { writeSnapshot, type Snapshot } from './snapshots';

/**
 * The event store: append with the transactional outbox, reads, and state loading. Every append writes one
 * outbox entry per event (unless its mapping keeps an event internal) in the same transaction, so an event
 * is stored iff its outbox entry is.
 */

/**
 * Builds the outbox entries of the events an append is writing. It runs before the write (an entry can only
 * use what the append knows up front, not the position or transaction id the database assigns), so the
 * append can write events and entries in one statement. The default: 1:1, no state.
 */
export type OutboxEntries = (events: PendingEvent[]) => OutboxEntry[];

export const oneToOneOutbox: OutboxEntries = (events) =>
  events.map((event) => toOutboxEntry(event, event.streamId, withStateAfter(event, undefined)!));

export interface AppendOptions {
  /** Join this transaction (e.g. a CRUD app's entity manager) instead of opening one. */
  executor?: Executor;
  /** The integration events of the appended events (default: one per event, 1:1). */
  outbox?: OutboxEntries;
}

export interface EventStore {
  readonly upcast: Upcast;
  readonly outboxMode: OutboxMode;
  /** Appends to one stream; its outbox entries are written in the same transaction. */
  append(input: AppendInput, options?: AppendOptions): Promise<AppendResult>;
  /** Appends to several streams in one transaction: all or nothing. */
  appendMany(inputs: AppendInput[], options?: AppendOptions): Promise<AppendResult[]>;
  readStream(streamId: string, options?: ReadStreamOptions, executor?: Executor): Promise<StoredEvent[]>;
  readAll(after?: Checkpoint, limit?: number): Promise<ReadAllResult>;
  load<State>(
    streamId: string,
    reducer: Reducer<State>,
    options?: LoadOptions,
    executor?: Executor,
  ): Promise<Loaded<State>>;
  /** Stores a snapshot (in the caller's transaction when an executor is given). */
  writeSnapshot(
    streamId: string,
    snapshotVersion: number,
    snapshot: Snapshot,
    executor?: Executor,
  ): Promise<void>;
  /** Runs `work` in one transaction. */
  transaction<T>(work: (executor: Executor) => Promise<T>): Promise<T>;
}

export interface EventStoreOptions {
  pool: Pool;
  upcast: Upcast;
  outboxMode: OutboxMode;
  /**
   * Group commit: appends the store owns, and loads of current state, that arrive while one is in flight go
   * together as one statement, at most this many (default 1: each alone). group-append.ts, group-load.ts.
   */
  groupMax?: number;
  /** Grouped statements of each kind (appends, loads) in flight at a time (default 1). */
  groupInFlight?: number;
}

/** The group appender and loader when group commit is on (groupMax > 1); undefined where it does not apply. */
function groupCommit({ pool, upcast, outboxMode, groupMax = 1, groupInFlight = 1 }: EventStoreOptions) {
  if (groupMax <= 1) return { groupAppends: undefined, groupLoads: undefined };
  return {
    groupAppends:
      outboxMode === 'table-transient'
        ? undefined
        : createGroupAppender(pgExecutor(pool), outboxMode, groupMax, groupInFlight),
    groupLoads: createGroupLoader(pgExecutor(pool), upcast, groupMax, groupInFlight),
  };
}

export function createEventStore(options: EventStoreOptions): EventStore {
  const { pool, upcast, outboxMode } = options;
  const { groupAppends, groupLoads } = groupCommit(options);
  const inTransaction = <T>(executor: Executor | undefined, work: (executor: Executor) => Promise<T>) =>
    executor ? work(executor) : withTransaction(pool, work);

  // In a transaction too, one statement when the expected version is exact: one round trip less per append
  // for payments, idempotent commands, the saga and CRUD apps.
  const appendOne = async (executor: Executor, input: AppendInput, entries: OutboxEntries) => {
    if (fitsOneStatement(input.expected, outboxMode))
      return appendWithOutbox(executor, outboxMode, input, entries);
    const result = await appendToStream(executor, input);
    await writeOutbox(executor, outboxMode, entries(result.events));
    return result;
  };

  return {
    upcast,
    outboxMode,
    append: (input, opts = {}) => {
      const entries = opts.outbox ?? oneToOneOutbox;
      // Owning the transaction, the store can make it a single autocommitted statement (one round trip).
      if (!opts.executor && fitsOneStatement(input.expected, outboxMode)) {
        if (groupAppends) return groupAppends.append(input, entries);
        return appendWithOutbox(pgExecutor(pool), outboxMode, input, entries).catch((error: unknown) => {
          throw toTributaryError(error);
        });
      }
      return inTransaction(opts.executor, (executor) => appendOne(executor, input, entries));
    },
    appendMany: (inputs, opts = {}) =>
      inTransaction(opts.executor, async (executor) => {
        const results: AppendResult[] = [];
        for (const input of inputs)
          results.push(await appendOne(executor, input, opts.outbox ?? oneToOneOutbox));
        return results;
      }),
    readStream: (streamId, opts, executor) =>
      readStream(executor ?? pgExecutor(pool), upcast, streamId, opts),
    readAll: (after, limit) => readAll(pgExecutor(pool), upcast, after, limit),
    load: (streamId, reducer, opts = {}, executor) => {
      const current = opts.toVersion === undefined && opts.asOf === undefined && opts.useSnapshots !== false;
      if (groupLoads && !executor && current) return groupLoads.load(streamId, reducer);
      return loadState(executor ?? pgExecutor(pool), upcast, streamId, reducer, opts);
    },
    writeSnapshot: (streamId, snapshotVersion, snapshot, executor) =>
      writeSnapshot(executor ?? pgExecutor(pool), streamId, snapshotVersion, snapshot),
    transaction: (work) => withTransaction(pool, work),
  };
}
