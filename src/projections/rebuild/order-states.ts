import { randomUUID } from 'node:crypto';
import type { Executor } from '../../db/executor';
import type { OrderEvent } from '../../domain/orders/events';
import { evolveOrder, initialOrderState, isOrder, type OrderState } from '../../domain/orders/state';
import { toOrderView } from '../../domain/orders/view';
import { currentSchemaVersions, upcasters } from '../../domain/registry';
import { listStreams, readStreams, streamsChangedSince, upcaster } from '../../eventstore';
import type { ProjectionEvent } from '../types';

/**
 * Orders folded from the event store, for rebuilding read models from the source of truth rather than from
 * Kafka (whose retention may not reach back to the first event). The fold is the one the command side uses,
 * so a rebuilt document equals the state the relay published with the same event. The store is read through
 * its public API (src/eventstore), never its tables.
 */

const ORDER_STREAM_TYPE = 'order';
const ORDER_STREAM_PREFIX = 'order-';

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
  const events = await readStreams(executor, upcast, streamIds);
  const out: ProjectionEvent[] = [];
  let state: OrderState = initialOrderState();
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    state = evolveOrder(state, {
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: event.data,
    } as OrderEvent);
    const last = i === events.length - 1 || events[i + 1]!.streamId !== event.streamId;
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
    const page = await listStreams(executor, ORDER_STREAM_TYPE, after, pageSize);
    if (page.length === 0) return;
    after = page[page.length - 1]!;
    yield await latestOrderEvents(executor, page);
  }
}

/**
 * Order streams with an event that `snapshot` (the event store's `transactionSnapshot`) did not see:
 * committed after it was taken, or in flight then.
 */
export async function orderStreamsChangedSince(executor: Executor, snapshot: string): Promise<string[]> {
  const changed = await streamsChangedSince(executor, snapshot, ORDER_STREAM_TYPE);
  return changed.filter((id) => id.startsWith(ORDER_STREAM_PREFIX));
}
