import type { PendingEvent } from '../domain/envelope';

/** What leaves the service: the public contract of one event, which may differ from the domain event. */
export interface IntegrationEvent {
  /** Public type name, e.g. `OrderCreated`; the relay turns it into a reverse-DNS CloudEvent type. */
  type: string;
  schemaVersion: number;
  payload: unknown;
}

/**
 * Maps a domain event being appended to its integration event, given the aggregate's public view after that
 * event (event-carried state transfer). Returns null for an event that stays internal.
 */
export type IntegrationMapping = (event: PendingEvent, viewAfter: unknown) => IntegrationEvent | null;

/** One outbox entry: id = event id, so downstream deduplication keys on the same id. */
export interface OutboxEntry {
  id: string;
  aggregateType: string;
  aggregateId: string;
  streamVersion: number;
  eventType: string;
  schemaVersion: number;
  payload: unknown;
  /** Event metadata and business time, carried to CloudEvent attributes by the relay. */
  headers: Record<string, string>;
}

/**
 * How integration events leave the transaction:
 *  - `table`: insert-only outbox rows, pruned by retention once published;
 *  - `table-transient`: insert and delete in the same transaction (the WAL keeps the insert for the relay,
 *    the table stays empty);
 *  - `message`: a transactional logical message (`pg_logical_emit_message`), no table at all.
 */
export type OutboxMode = 'table' | 'table-transient' | 'message';

/** The prefix of outbox logical messages; the relay filters messages by it. */
export const OUTBOX_MESSAGE_PREFIX = 'tributary.outbox';
