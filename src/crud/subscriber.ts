import { EventSubscriber } from 'typeorm';
import type {
  EntityMetadata,
  EntitySchema,
  EntitySubscriberInterface,
  InsertEvent,
  ObjectLiteral,
  RecoverEvent,
  RemoveEvent,
  SoftRemoveEvent,
  UpdateEvent,
} from 'typeorm';
import { TributaryError } from '../errors';
import type { EventStore, OutboxEntries } from '../eventstore/store';
import { LOCK_STREAM_SQL } from '../eventstore/append';
import type { EventMetadata, ExpectedVersion, NewEvent } from '../eventstore/types';
import { appendWithin } from './append-within';
import { entityManagerExecutor } from './entity-manager-executor';

/**
 * An entity subscriber that appends an event (and its outbox entry) for every insert, update, remove, soft
 * remove and recover of chosen entities, in the transaction that changes the row: the zero-code-change first
 * step of adopting Tributary. TypeORM's `DataSource({ subscribers })` takes classes: pass
 * `outboxSubscriberClass(…)` there, or push `outboxSubscriber(…)` to `dataSource.subscribers` after `initialize()`.
 *
 * Covered: what goes through TypeORM's persistence (`save`, `remove`, `softRemove`, `recover` of an entity
 * manager or repository, cascades included). Not covered, and ignored by the subscriber (no event): the
 * criteria-based `insert`, `update`, `upsert`, `delete`, `softDelete`, `restore`, `increment`, `decrement`,
 * QueryBuilder writes and raw SQL. TypeORM calls subscribers for some of these too, but with only the values set
 * (no row id, no previous state), so no event could name its row.
 *
 * Streams: one per entity row, `<aggregateType>-<id>`. The row's own lock orders concurrent changes of a row, and
 * the append happens while it is held, so the stream's order is the row's order. A row that existed before the
 * subscriber has no stream until the backfill (backfill.ts) imports it: when the subscriber changes such a row
 * first, it writes the row's `import` event (its state as loaded before the change) ahead of the change's, so
 * every stream starts with the row's whole state (docs/backfill.md).
 */

/** `import`: a row that existed before its stream, stated whole (the backfill's, or the subscriber's first). */
export type EntityChangeKind = 'insert' | 'update' | 'remove' | 'softRemove' | 'recover' | 'import';

/** One change of a row, as the mapping function sees it. */
export interface EntityChange<E> {
  kind: EntityChangeKind;
  /** The row id (`idOf`), as in the stream id. */
  id: string;
  /** The entity after the change (for `remove`, the row as it was: TypeORM clears the removed entity's id). */
  entity: E;
  /** The row as loaded before the change; undefined for `insert` and `import`. */
  before: E | undefined;
  /** The property paths the change set (`update` only; empty otherwise). */
  changed: string[];
  /** Column values of `entity` by property path: what the default event carries. */
  columns: Record<string, unknown>;
}

export type SubscribedTarget<E> =
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an entity class, whatever its constructor
  (abstract new (...args: any[]) => E) | EntitySchema<E> | string;

/** The mapping of one entity class. */
export interface SubscribedEntity<E extends ObjectLiteral> {
  /** The entity class (subclasses included), its `EntitySchema`, or the entity's name. */
  target: SubscribedTarget<E>;
  /** The stream type, and the prefix of the stream id `<aggregateType>-<id>`. */
  aggregateType: string;
  /** The row id; default: the primary column values joined by ':'. */
  idOf?: (entity: E) => string;
  /**
   * The event(s) for a change; `null` or `[]` appends nothing for it. Default: `<Entity><Kind>` (for example
   * `CustomerInserted`, `CustomerUpdated`, `CustomerRemoved`, `CustomerImported`), schema version 1, data =
   * `change.columns`. The same function maps the backfill's rows (kind `import`).
   */
  toEvent?: (change: EntityChange<E>) => NewEvent | readonly NewEvent[] | null;
  metadata?: (change: EntityChange<E>) => EventMetadata;
}

export interface OutboxSubscriberOptions {
  store: EventStore;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry is typed by its own target
  entities: readonly SubscribedEntity<any>[];
  /** The integration events of the appended events (default: one per event). */
  outbox?: OutboxEntries;
}

const KIND_SUFFIX: Record<EntityChangeKind, string> = {
  insert: 'Inserted',
  update: 'Updated',
  remove: 'Removed',
  softRemove: 'SoftRemoved',
  recover: 'Recovered',
  import: 'Imported',
};

/** The event the subscriber appends when the entity has no `toEvent`. */
export function defaultEvent(entityName: string, change: EntityChange<unknown>): NewEvent {
  return { type: `${entityName}${KIND_SUFFIX[change.kind]}`, schemaVersion: 1, data: change.columns };
}

/**
 * Column values by property path; a column `entity` leaves undefined (a partial entity saved) takes its value
 * from `before`. The event store serializes them as JSON (dates as ISO strings).
 */
export function columnsOf(
  metadata: EntityMetadata,
  entity: ObjectLiteral,
  before?: ObjectLiteral,
): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  for (const column of metadata.columns) {
    const value: unknown = column.getEntityValue(entity);
    columns[column.propertyPath] = value === undefined && before ? column.getEntityValue(before) : value;
  }
  return columns;
}

function defaultIdOf(metadata: EntityMetadata, entity: ObjectLiteral): string {
  const values: unknown[] = metadata.primaryColumns.map((column) => column.getEntityValue(entity));
  return values.some((value) => value === undefined || value === null) ? '' : values.map(String).join(':');
}

/** Whether `metadata` is the entity `target` names (a class matches its subclasses too). */
function isTarget(target: SubscribedTarget<ObjectLiteral>, metadata: EntityMetadata): boolean {
  if (typeof target === 'string') return metadata.name === target || metadata.target === target;
  // An EntitySchema (duck-typed: the app's TypeORM may not be the one this module resolves) stands for its
  // target class, or for its name when it has none.
  const wanted = 'options' in target ? (target.options.target ?? target.options.name) : target;
  const actual = metadata.target;
  if (actual === wanted) return true;
  return typeof actual === 'function' && typeof wanted === 'function' && actual.prototype instanceof wanted;
}

/** The subscribed entry for an entity, if any. */
export function entryFor(
  entries: readonly SubscribedEntity<ObjectLiteral>[],
  metadata: EntityMetadata,
): SubscribedEntity<ObjectLiteral> | undefined {
  return entries.find((entry) => isTarget(entry.target, metadata));
}

/** What the subscriber needs of a TypeORM event: the transaction's manager, the metadata and the rows. */
export interface ObservedChange {
  kind: EntityChangeKind;
  manager: Parameters<typeof appendWithin>[0];
  metadata: EntityMetadata;
  entity: ObjectLiteral;
  before: ObjectLiteral | undefined;
  changed: string[];
}

/** The id of a subscribed entity's row: `idOf`, else the primary column values joined by ':'. */
export function rowIdOf(
  entry: SubscribedEntity<ObjectLiteral>,
  metadata: EntityMetadata,
  row: ObjectLiteral,
): string {
  const id = entry.idOf ? entry.idOf(row) : defaultIdOf(metadata, row);
  if (!id) throw new TributaryError('input.invalid', `${metadata.name}: the changed row has no id`);
  return id;
}

/** The events the entry maps a change to (none for `null`, `undefined` or `[]`). */
export function eventsOf(
  entry: SubscribedEntity<ObjectLiteral>,
  metadata: EntityMetadata,
  change: EntityChange<ObjectLiteral>,
): NewEvent[] {
  const mapped = entry.toEvent ? entry.toEvent(change) : defaultEvent(metadata.name, change);
  // `== null`: a JavaScript mapping may return undefined for none.
  return mapped == null ? [] : Array.isArray(mapped) ? [...mapped] : [mapped as NewEvent];
}

/** The `import` change of a row as it is (the backfill's) or as it was before a change (the subscriber's). */
export function importChange(
  entry: SubscribedEntity<ObjectLiteral>,
  metadata: EntityMetadata,
  row: ObjectLiteral,
): EntityChange<ObjectLiteral> {
  const id = rowIdOf(entry, metadata, row);
  return {
    kind: 'import',
    id,
    entity: row,
    before: undefined,
    changed: [],
    columns: columnsOf(metadata, row),
  };
}

/**
 * Appends the events of one observed change through `appendWithin`, in the manager's transaction (TributaryError
 * 'input.invalid' when there is none, for example `save(entity, { transaction: false })` outside one).
 */
export async function appendChange(
  options: OutboxSubscriberOptions,
  observed: ObservedChange,
): Promise<void> {
  const entry = entryFor(options.entities, observed.metadata);
  if (!entry) return;
  const { kind, metadata, entity, before, changed } = observed;
  // A removed entity has lost its id (TypeORM clears it before the after-events): the row as loaded has it.
  const row = kind === 'remove' && before ? before : entity;
  const id = rowIdOf(entry, metadata, row);
  const columns = columnsOf(metadata, row, before);
  const change: EntityChange<ObjectLiteral> = { kind, id, entity: row, before, changed, columns };
  const events = eventsOf(entry, metadata, change);
  if (events.length === 0) return;
  const append = {
    streamId: `${entry.aggregateType}-${id}`,
    streamType: entry.aggregateType,
    ...(entry.metadata ? { metadata: entry.metadata(change) } : {}),
  };
  const appendOptions = options.outbox ? { outbox: options.outbox } : {};
  const write = (expected: ExpectedVersion, written: NewEvent[]) =>
    appendWithin(observed.manager, options.store, { ...append, expected, events: written }, appendOptions);
  // An inserted row is new: its stream starts with the change. Any other row may predate its stream.
  if (kind === 'insert') return void (await write('any', events));
  const version = await lockStream(observed.manager, append.streamId);
  if (version !== undefined) return void (await write(version, events));
  // Not imported yet: its state before this change first (the entity after it when TypeORM loaded none).
  const imported = eventsOf(entry, metadata, importChange(entry, metadata, before ?? row));
  try {
    return void (await write('no_stream', [...imported, ...events]));
  } catch (error) {
    // The backfill created the stream meanwhile (this append waited for its commit): it holds the import.
    if (!(error instanceof TributaryError && error.code === 'store.conflict')) throw error;
  }
  await write('any', events);
}

/**
 * The stream's version, its row locked until the transaction ends (so the version stays true for the append);
 * undefined when the stream does not exist (yet: a concurrent creator's stream is not visible before it commits).
 */
async function lockStream(
  manager: Parameters<typeof appendWithin>[0],
  streamId: string,
): Promise<number | undefined> {
  const rows = await entityManagerExecutor(manager).query<{ version: string }>(LOCK_STREAM_SQL, [streamId]);
  return rows[0] === undefined ? undefined : Number(rows[0].version);
}

const changedPaths = (event: UpdateEvent<ObjectLiteral>) =>
  event.updatedColumns.map((column) => column.propertyPath);

/**
 * The subscriber instance, for `dataSource.subscribers.push(…)` after `dataSource.initialize()` (initialize
 * replaces the list with the classes of the options). It listens to every entity and handles the
 * subscribed ones; the events TypeORM raises for criteria-based and QueryBuilder writes (no row id, no
 * previous state) are skipped, see the module comment.
 */
export function outboxSubscriber(options: OutboxSubscriberOptions): EntitySubscriberInterface<ObjectLiteral> {
  for (const entry of options.entities) {
    if (!entry.aggregateType)
      throw new TributaryError('input.invalid', 'outboxSubscriber: an aggregateType is empty');
  }
  const observe = (kind: EntityChangeKind, event: ObservedEvent, changed: string[] = []) =>
    appendChange(options, {
      kind,
      manager: event.manager,
      metadata: event.metadata,
      entity: event.entity!,
      before: event.databaseEntity,
      changed,
    });
  return {
    // A save's insert carries the row id (entityId); an `insert()` / QueryBuilder insert does not.
    afterInsert: async (event: InsertEvent<ObjectLiteral>) => {
      if (event.entityId !== undefined) await observe('insert', event);
    },
    // A save's update carries the row as loaded; an `update(criteria)` only the values it sets.
    afterUpdate: async (event: UpdateEvent<ObjectLiteral>) => {
      if (event.entity && event.databaseEntity) await observe('update', event, changedPaths(event));
    },
    // `delete()`, `softDelete()`, `restore()` and their QueryBuilders raise these without an entity.
    afterRemove: async (event: RemoveEvent<ObjectLiteral>) => {
      if (event.entity && event.databaseEntity) await observe('remove', event);
    },
    afterSoftRemove: async (event: SoftRemoveEvent<ObjectLiteral>) => {
      if (event.entity) await observe('softRemove', event);
    },
    afterRecover: async (event: RecoverEvent<ObjectLiteral>) => {
      if (event.entity) await observe('recover', event);
    },
  };
}

type ObservedEvent = Pick<InsertEvent<ObjectLiteral>, 'manager' | 'metadata'> & {
  entity?: ObjectLiteral | undefined;
  databaseEntity?: ObjectLiteral | undefined;
};

/**
 * The subscriber as a class for `DataSource({ subscribers: [outboxSubscriberClass(…)] })`: TypeORM instantiates
 * the subscriber classes of the options that `@EventSubscriber()` registered, with no arguments, so the options
 * are bound here. Call it once per data source (each call registers one more class).
 */
export function outboxSubscriberClass(
  options: OutboxSubscriberOptions,
): new () => EntitySubscriberInterface<ObjectLiteral> {
  const hooks = outboxSubscriber(options);
  class OutboxSubscriber {}
  Object.assign(OutboxSubscriber.prototype, hooks);
  EventSubscriber()(OutboxSubscriber);
  return OutboxSubscriber as new () => EntitySubscriberInterface<ObjectLiteral>;
}
