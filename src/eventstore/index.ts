export { appendToStream } from './append';
export { appendWithOutbox } from './append-with-outbox';
export type { AppendInput } from './append';
export { readStream } from './read-stream';
export type { ReadStreamOptions } from './read-stream';
export { readStreams } from './read-streams';
export { listStreams } from './list-streams';
export { transactionSnapshot } from './transaction-snapshot';
export { streamsChangedSince } from './streams-changed-since';
export { readAll, START } from './read-all';
export type { Checkpoint, ReadAllResult } from './read-all';
export { loadState } from './load';
export type { Loaded, LoadOptions, Reducer } from './load';
export { writeSnapshot } from './snapshots';
export type { Snapshot } from './snapshots';
export { upcaster } from './upcast';
export type { Upcast } from './upcast';
export { createEventStore, oneToOneOutbox } from './store';
export type { AppendOptions, EventStore, OutboxEntries } from './store';
export type {
  AppendResult,
  EventMetadata,
  ExpectedVersion,
  NewEvent,
  PendingEvent,
  StoredEvent,
} from './types';
