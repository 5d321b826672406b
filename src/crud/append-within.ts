import type { EntityManager } from 'typeorm';
import { toTributaryError } from '../errors';
import type { AppendInput } from '../eventstore/append';
import type { EventStore, OutboxEntries } from '../eventstore/store';
import type { AppendResult, EventMetadata, ExpectedVersion, NewEvent } from '../eventstore/types';
import { entityManagerExecutor } from './entity-manager-executor';

/** Events for one stream, appended in the caller's transaction. */
export interface StreamAppend {
  streamId: string;
  streamType: string;
  events: readonly NewEvent[];
  /** What the stream must be at; default `any` (a CRUD app usually serializes on its own row instead). */
  expected?: ExpectedVersion;
  metadata?: EventMetadata;
}

export interface AppendWithinOptions {
  /** The integration events of the appended events (default: one per event, 1:1). */
  outbox?: OutboxEntries;
}

/**
 * Appends events and their outbox entries inside the TypeORM transaction of `manager`, next to the app's own
 * entity changes: all of them commit together or none does. Nothing is published here; the relay publishes
 * the outbox entries after the transaction commits.
 *
 * Several streams are appended in order, all or nothing. Failures are TributaryErrors ('store.conflict' when a
 * stream is not at the expected version, 'input.invalid' when the manager is not inside a transaction).
 * After a failed statement PostgreSQL aborts the transaction, so let the error reach `dataSource.transaction`,
 * which rolls back.
 */
export function appendWithin(
  manager: Pick<EntityManager, 'queryRunner'>,
  store: EventStore,
  append: StreamAppend,
  options?: AppendWithinOptions,
): Promise<AppendResult>;
export function appendWithin(
  manager: Pick<EntityManager, 'queryRunner'>,
  store: EventStore,
  appends: readonly StreamAppend[],
  options?: AppendWithinOptions,
): Promise<AppendResult[]>;
export async function appendWithin(
  manager: Pick<EntityManager, 'queryRunner'>,
  store: EventStore,
  appends: StreamAppend | readonly StreamAppend[],
  options: AppendWithinOptions = {},
): Promise<AppendResult | AppendResult[]> {
  try {
    const executor = entityManagerExecutor(manager);
    const appendOptions = { executor, ...(options.outbox ? { outbox: options.outbox } : {}) };
    return isMany(appends)
      ? await store.appendMany(appends.map(toAppendInput), appendOptions)
      : await store.append(toAppendInput(appends), appendOptions);
  } catch (error) {
    throw toTributaryError(error);
  }
}

function isMany(appends: StreamAppend | readonly StreamAppend[]): appends is readonly StreamAppend[] {
  return Array.isArray(appends);
}

function toAppendInput(append: StreamAppend): AppendInput {
  return {
    streamId: append.streamId,
    streamType: append.streamType,
    expected: append.expected ?? 'any',
    events: append.events,
    ...(append.metadata ? { metadata: append.metadata } : {}),
  };
}
