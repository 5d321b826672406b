import type { PendingEvent } from '../domain/envelope';

// The envelope types live in the domain, where the outbox can use them without importing the event store.
export type { EventMetadata, PendingEvent } from '../domain/envelope';

/** An event to append. `eventId` defaults to a random UUID, `occurredAt` to now. */
export interface NewEvent {
  eventId?: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  /**
   * Business time: when it happened in the domain (may differ from when it was recorded). An ISO 8601 time
   * with a zone; stored with millisecond precision.
   */
  occurredAt?: string;
}

/** A stored event as readers see it, after upcasting to the current schema version. */
export interface StoredEvent extends PendingEvent {
  /** Global position (bigint as a string). */
  position: string;
  /** Id of the transaction that wrote it (xid8 as a string); readAll orders by (transactionId, position). */
  transactionId: string;
  recordedAt: string;
}

/**
 * What the appender expects of the stream: exactly this version (0 = no events yet), `no_stream`,
 * `stream_exists`, or `any`.
 */
export type ExpectedVersion = number | 'no_stream' | 'stream_exists' | 'any';

export interface AppendResult {
  streamId: string;
  /** The stream version after the append. */
  nextVersion: number;
  events: StoredEvent[];
}
