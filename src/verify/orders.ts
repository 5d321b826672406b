import type { Executor } from '../db/executor';
import { latestOrderEvents } from '../projections/rebuild/order-states';
import type { OrderView } from '../domain/orders/view';
import type { VerifyWindow } from './types';

/**
 * The store's orders, folded, in pages: what every read model must equal. With a window, only orders with
 * an event recorded in it.
 */
export const ORDER_PAGE_SQL = `
  select s.stream_id from streams s
   where s.stream_type = 'order' and s.stream_id > $1
     and ($3::timestamptz is null
          or exists (select 1 from events e where e.stream_id = s.stream_id and e.recorded_at >= $3))
   order by s.stream_id limit $2`;

export async function* orderPages(
  executor: Executor,
  window: VerifyWindow,
  pageSize = 500,
): AsyncGenerator<OrderView[]> {
  let after = '';
  for (;;) {
    const rows = await executor.query<{ stream_id: string }>(ORDER_PAGE_SQL, [
      after,
      pageSize,
      window.since?.toISOString() ?? null,
    ]);
    if (rows.length === 0) return;
    after = rows[rows.length - 1]!.stream_id;
    const events = await latestOrderEvents(
      executor,
      rows.map((row) => row.stream_id),
    );
    yield events.map((event) => event.state);
  }
}

/** The order ids among `ids` that the store has. */
export async function ordersInStore(executor: Executor, ids: readonly string[]): Promise<Set<string>> {
  const rows = await executor.query<{ stream_id: string }>(
    `select stream_id from streams where stream_id = any($1::text[])`,
    [ids.map((id) => `order-${id}`)],
  );
  return new Set(rows.map((row) => row.stream_id.slice('order-'.length)));
}
