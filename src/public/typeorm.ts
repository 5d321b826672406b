/**
 * `import … from 'tributary/typeorm'`: the parts that need TypeORM at run time. `migrations` is the list
 * `tributary migrate` runs, in order, for an app's own `DataSource({ migrations: [...yours, ...migrations] })`;
 * `entityManagerExecutor` adapts a transaction's entity manager to the `Executor` the event store takes;
 * `outboxSubscriber` is the entity subscriber that appends an event for every `save`/`remove` of chosen entities;
 * `backfill` imports an entity's existing rows with the subscriber's mapping (docs/backfill.md).
 */
import { MIGRATIONS } from '../../migrations';
import type { MigrationInterface } from 'typeorm';

export { entityManagerExecutor } from '../crud/entity-manager-executor';
export { backfill } from '../crud/backfill';
export type { BackfillOptions, BackfillProgress, BackfillResult, CrudConfig } from '../crud/backfill';
export { outboxSubscriber, outboxSubscriberClass } from '../crud/subscriber';
export type {
  EntityChange,
  EntityChangeKind,
  OutboxSubscriberOptions,
  SubscribedEntity,
  SubscribedTarget,
} from '../crud/subscriber';
export { createDataSource, migrate } from '../db/data-source';

/** Tributary's migration classes, in order (the same list `tributary migrate` runs). */
export const migrations: readonly (new () => MigrationInterface)[] = MIGRATIONS;
