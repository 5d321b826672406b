import type { StoredEvent } from './types';

/**
 * The columns every event read selects, in the shape `toStoredEvent` maps. Positions and transaction ids come
 * out as text: a statement that orders by them names the table's columns (`e.transaction_id`), not these.
 */
export const EVENT_COLUMNS = `global_position::text as position, transaction_id::text as transaction_id, stream_id,
  stream_type, stream_version, event_id, event_type, schema_version, data, metadata,
  occurred_at, recorded_at`;

export interface EventRow {
  position: string;
  transaction_id: string;
  stream_id: string;
  stream_type: string;
  stream_version: string;
  event_id: string;
  event_type: string;
  schema_version: number;
  data: unknown;
  metadata: StoredEvent['metadata'];
  occurred_at: Date;
  recorded_at: Date;
}

/** Maps a row (bigints arrive as strings) to a stored event, before upcasting. */
export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    position: row.position,
    transactionId: row.transaction_id,
    streamId: row.stream_id,
    streamType: row.stream_type,
    version: Number(row.stream_version),
    eventId: row.event_id,
    type: row.event_type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata ?? {},
    occurredAt: row.occurred_at.toISOString(),
    recordedAt: row.recorded_at.toISOString(),
  };
}
