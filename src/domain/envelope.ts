/**
 * A domain event in its envelope: which stream it belongs to, at which version, with its id and metadata.
 *
 * These types sit in the domain, below both the event store (which appends and reads them) and the outbox
 * (which maps them to integration events inside the append's transaction), so that neither of those two has
 * to import the other's types. They are plain data, like the domain events they wrap.
 */

/** Who and what caused an event; stored with it (the audit trail) and carried to Kafka as CloudEvent extensions. */
export interface EventMetadata {
  correlationId?: string;
  causationId?: string;
  actor?: string;
  /** W3C trace context, when present. */
  traceparent?: string;
}

/**
 * An event as an append is about to store it: everything but what the database assigns. An append knows all
 * of it before it writes, which is what lets it write the outbox entries in the same statement.
 */
export interface PendingEvent {
  streamId: string;
  streamType: string;
  version: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: EventMetadata;
  /** ISO 8601 in UTC, millisecond precision. */
  occurredAt: string;
}
