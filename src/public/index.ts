/**
 * The package's root entry point (`import … from 'tributary'`): the event store, `appendWithin` for a TypeORM
 * transaction, the configuration and the error model. This file is the public API of the root; what it does
 * not export is internal and may change in any release (CHANGELOG.md). It loads no TypeORM code at run time:
 * `appendWithin` only needs the entity manager you pass it.
 */
export { loadConfig } from '../config';
export type { Config, Environment } from '../config';
export { TributaryError, isRetriable, toTributaryError } from '../errors';
export type { ErrorCode } from '../errors';
export { pgExecutor } from '../db/executor';
export type { Executor } from '../db/executor';
export { createPool } from '../db/pool';
export { createEventStore, oneToOneOutbox, upcaster } from '../eventstore';
export type { EventStoreOptions } from '../eventstore/store';
export type {
  AppendInput,
  AppendOptions,
  AppendResult,
  Checkpoint,
  EventMetadata,
  EventStore,
  ExpectedVersion,
  Loaded,
  LoadOptions,
  NewEvent,
  OutboxEntries,
  PendingEvent,
  ReadAllResult,
  ReadStreamOptions,
  Reducer,
  Snapshot,
  StoredEvent,
  Upcast,
} from '../eventstore';
export { createEventStoreFor } from '../commands';
export { appendWithin } from '../crud/append-within';
export type { AppendWithinOptions, StreamAppend } from '../crud/append-within';
