import type { PendingEvent } from '../domain/envelope';
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
