import { randomUUID } from 'node:crypto';
import type { Executor } from '../../db/executor';
import type { OrderEvent } from '../../domain/orders/events';
import { evolveOrder, initialOrderState, isOrder, type OrderState } from '../../domain/orders/state';
import { toOrderView } from '../../domain/orders/view';
import { currentSchemaVersions, upcasters } from '../../domain/registry';
import { EVENT_COLUMNS, toStoredEvent, type EventRow } from '../../eventstore/rows';
import { upcaster } from '../../eventstore/upcast';
import type { ProjectionEvent } from '../types';

/**
 * Orders folded from the event store, for rebuilding read models from the source of truth rather than from
 * Kafka (whose retention may not reach back to the first event). The fold is the one the command side uses,
 * so a rebuilt document equals the state the relay published with the same event.
 */

const ORDER_STREAM_PREFIX = 'order-';

export const ORDER_STREAM_PAGE_SQL = `
  select stream_id from streams
   where stream_type = 'order' and stream_id > $1
   order by stream_id limit $2`;

export const EVENTS_OF_STREAMS_SQL = `
  select ${EVENT_COLUMNS} from events
   where stream_id = any($1::text[])
   order by stream_id, stream_version`;

const upcast = upcaster(upcasters, currentSchemaVersions);

/**
 * The latest event of each stream, carrying the folded state: what the live projector would receive for
 * it. Its id is fresh, so read models that deduplicate by event id still apply it when its version is newer
 * than what they hold (and ignore it otherwise).
 */
export async function latestOrderEvents(
  executor: Executor,
  streamIds: readonly string[],
): Promise<ProjectionEvent[]> {
  if (streamIds.length === 0) return [];
  const rows = await executor.query<EventRow>(EVENTS_OF_STREAMS_SQL, [streamIds]);
  const out: ProjectionEvent[] = [];
  let state: OrderState = initialOrderState();
  for (let i = 0; i < rows.length; i++) {
    const event = upcast(toStoredEvent(rows[i]!));
    state = evolveOrder(state, {
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: event.data,
    } as OrderEvent);
    const last = i === rows.length - 1 || rows[i + 1]!.stream_id !== event.streamId;
    if (!last) continue;
    if (isOrder(state)) {
      const view = toOrderView(state);
      out.push({
        id: randomUUID(),
        type: event.type,
        schemaVersion: event.schemaVersion,
        aggregateId: view.id,
        version: view.version,
        time: event.occurredAt,
        change: event.data,
        state: view,
        position: { topic: 'event-store', partition: 0, offset: event.position },
      });
    }
    state = initialOrderState();
  }
  return out;
}

/** Every order, folded, in pages of `pageSize` streams. */
export async function* allOrderEvents(executor: Executor, pageSize = 500): AsyncGenerator<ProjectionEvent[]> {
  let after = '';
  for (;;) {
    const page = await executor.query<{ stream_id: string }>(ORDER_STREAM_PAGE_SQL, [after, pageSize]);
    if (page.length === 0) return;
    after = page[page.length - 1]!.stream_id;
    yield await latestOrderEvents(
      executor,
      page.map((row) => row.stream_id),
    );
  }
}

/** A point in the store's history: the current snapshot (`xmin:xmax:xip`). */
export async function currentSnapshot(executor: Executor): Promise<string> {
  const [row] = await executor.query<{ snapshot: string }>(`select pg_current_snapshot()::text as snapshot`);
  return row!.snapshot;
}

/**
 * Order streams with an event that the snapshot did not see: committed after it was taken, or in flight
 * then. Reads through the (transaction id, position) index from the snapshot's xmin.
 */
export const ORDER_STREAMS_CHANGED_SINCE_SQL = `
  select distinct stream_id from events
   where transaction_id >= pg_snapshot_xmin($1::pg_snapshot)
     and not pg_visible_in_snapshot(transaction_id, $1::pg_snapshot)
     and stream_type = 'order'`;

export async function orderStreamsChangedSince(executor: Executor, snapshot: string): Promise<string[]> {
  const rows = await executor.query<{ stream_id: string }>(ORDER_STREAMS_CHANGED_SINCE_SQL, [snapshot]);
  return rows.map((row) => row.stream_id).filter((id) => id.startsWith(ORDER_STREAM_PREFIX));
}
