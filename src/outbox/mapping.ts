import type { PendingEvent } from '../domain/envelope';
import { TributaryError } from '../errors';
import type { IntegrationEvent, IntegrationMapping, OutboxEntry } from './types';

/** The default mapping: the integration event is the domain event, carrying the state after it. */
export const withStateAfter: IntegrationMapping = (event, viewAfter) => ({
  type: event.type,
  schemaVersion: event.schemaVersion,
  payload: viewAfter === undefined ? { change: event.data } : { change: event.data, state: viewAfter },
});

/**
 * Builds the outbox entry of an event being appended, given its integration event; `aggregateId` keys it on
 * Kafka.
 */
export function toOutboxEntry(
  event: PendingEvent,
  aggregateId: string,
  integration: IntegrationEvent,
): OutboxEntry {
  const headers: Record<string, string> = { occurredAt: event.occurredAt };
  for (const [key, value] of Object.entries(event.metadata)) {
    if (typeof value === 'string' && value !== '') headers[key] = value;
  }
  return {
    id: event.eventId,
    aggregateType: event.streamType,
    aggregateId,
    streamVersion: event.version,
    eventType: integration.type,
    schemaVersion: integration.schemaVersion,
    payload: integration.payload,
    headers,
  };
}

/** The size of an entry as it travels: its payload and headers as JSON, in UTF-8 bytes. */
export const entryBytes = (entry: OutboxEntry): number =>
  Buffer.byteLength(JSON.stringify(entry.payload)) + Buffer.byteLength(JSON.stringify(entry.headers));

/**
 * Refuses an entry larger than `maxBytes` ('domain.rule': the aggregate has grown too large for one more
 * event), before anything is written: a record Kafka would refuse is never stored. Returns the entry.
 */
export function requireEntrySize(entry: OutboxEntry, maxBytes: number): OutboxEntry {
  const bytes = entryBytes(entry);
  if (bytes > maxBytes) {
    throw new TributaryError(
      'domain.rule',
      `${entry.eventType} of ${entry.aggregateType} ${entry.aggregateId} would be ${bytes} bytes, more than the ${maxBytes} one event may have (MAX_EVENT_BYTES); nothing was stored`,
      { details: { bytes, maxBytes, eventType: entry.eventType } },
    );
  }
  return entry;
}
