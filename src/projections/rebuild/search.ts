import type { Client } from '@elastic/elasticsearch';
import type { Pool } from 'pg';
import { pgExecutor } from '../../db/executor';
import { transactionSnapshot } from '../../eventstore';
import type { Logger } from '../../observability';
import {
  createOrdersIndex,
  dropIndices,
  ensureOrdersIndex,
  swapOrdersAlias,
  writeOrderDocuments,
  type OrdersIndexOptions,
} from '../search';
import type { Projection } from '../types';
import { allOrderEvents, latestOrderEvents, orderStreamsChangedSince } from './order-states';

export interface RebuildResult {
  /** Orders written by the full build. */
  built: number;
  /** Orders written again by the catch-up after the swap (changed while the build ran). */
  caughtUp: number;
  durationMs: number;
}

/**
 * Zero-downtime rebuild of the search read model from the event store:
 *  1. remember the store's snapshot S0, create a new index next to the live one;
 *  2. write every order, folded from the store, into the new index (the alias still serves the old one);
 *  3. move the alias to the new index in one atomic step;
 *  4. catch up: write again every order with an event S0 did not see, through the alias.
 * Every write is versioned by stream version, so the live projector writing meanwhile (to the old index
 * before the swap, the new one after) and the catch-up can overlap in any order. An event the live
 * projector wrote only to the old index committed before the swap, so the catch-up (which starts after it)
 * sees it. Queries are answered from a complete index throughout; the old index is dropped at the end.
 */
export async function rebuildSearch(
  deps: {
    pool: Pool;
    es: Client;
    prefix: string;
    projection: Projection;
    logger?: Logger;
    /** Settings of the new index (config `searchRefreshIntervalMs`). */
    index?: OrdersIndexOptions;
  },
  options: { pageSize?: number } = {},
): Promise<RebuildResult> {
  const started = Date.now();
  const executor = pgExecutor(deps.pool);
  await ensureOrdersIndex(deps.es, deps.prefix, deps.index);
  const snapshot = await transactionSnapshot(executor);
  const index = await createOrdersIndex(deps.es, deps.prefix, deps.index);
  deps.logger?.info({ index, snapshot }, 'rebuild search: building a new index from the event store');
  let built = 0;
  for await (const events of allOrderEvents(executor, options.pageSize)) {
    await writeOrderDocuments(
      deps.es,
      index,
      events.map((event) => event.state),
    );
    built += events.length;
  }
  await deps.es.indices.refresh({ index });
  const old = await swapOrdersAlias(deps.es, deps.prefix, index);
  deps.logger?.info({ index, built, old }, 'rebuild search: alias moved; catching up');
  const changed = await orderStreamsChangedSince(executor, snapshot);
  let caughtUp = 0;
  for (let i = 0; i < changed.length; i += 500) {
    const events = await latestOrderEvents(executor, changed.slice(i, i + 500));
    await deps.projection.apply(events);
    caughtUp += events.length;
  }
  await dropIndices(deps.es, deps.prefix, old);
  return { built, caughtUp, durationMs: Date.now() - started };
}
