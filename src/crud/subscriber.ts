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
import type { EventMetadata, NewEvent } from '../eventstore/types';
import { appendWithin } from './append-within';

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
 * Streams: one per entity row, `<aggregateType>-<id>`, appended with `expected: 'any'` (rows that existed before
 * the subscriber have no stream yet). The row's own lock orders concurrent changes of a row, and the append
 * happens while it is held, so the stream's order is the row's order.
 */

export type EntityChangeKind = 'insert' | 'update' | 'remove' | 'softRemove' | 'recover';

/** One change of a row, as the mapping function sees it. */
export interface EntityChange<E> {
  kind: EntityChangeKind;
  /** The row id (`idOf`), as in the stream id. */
  id: string;
  /** The entity after the change (for `remove`, the row as it was: TypeORM clears the removed entity's id). */
  entity: E;
  /** The row as loaded before the change; undefined for `insert`. */
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
   * `CustomerInserted`, `CustomerUpdated`, `CustomerRemoved`), schema version 1, data = `change.columns`.
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
function entryFor(
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
  const id = entry.idOf ? entry.idOf(row) : defaultIdOf(metadata, row);
  if (!id) throw new TributaryError('input.invalid', `${metadata.name}: the changed row has no id`);
  const columns = columnsOf(metadata, row, before);
  const change: EntityChange<ObjectLiteral> = { kind, id, entity: row, before, changed, columns };
  const mapped = entry.toEvent ? entry.toEvent(change) : defaultEvent(metadata.name, change);
  // `== null`: a JavaScript mapping may return undefined for none.
  const events = mapped == null ? [] : Array.isArray(mapped) ? mapped : [mapped as NewEvent];
  if (events.length === 0) return;
  await appendWithin(
    observed.manager,
    options.store,
    {
      streamId: `${entry.aggregateType}-${id}`,
      streamType: entry.aggregateType,
      expected: 'any',
      events,
      ...(entry.metadata ? { metadata: entry.metadata(change) } : {}),
    },
    options.outbox ? { outbox: options.outbox } : {},
  );
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
