import type { Executor } from '../../db/executor';

/**
 * Transaction-scoped advisory locks on the stock of `skus`, taken in one order (sorted) so two sagas never
 * wait on each other in a cycle. Sagas competing for one SKU then take turns instead of failing each other's
 * conditional appends; a writer that does not lock (an API restock) still meets optimistic concurrency.
 */
export const LOCK_STOCK_SQL = `
select pg_advisory_xact_lock(hashtextextended('stock of ' || sku, 0))
  from unnest($1::text[]) with ordinality as locked(sku, n)
 order by n`;

/** One statement for all of them (one round trip); the locks are taken one by one in the array's order. */
export async function lockStock(executor: Executor, skus: readonly string[]): Promise<void> {
  const sorted = [...new Set(skus)].sort();
  if (sorted.length > 0) await executor.query(LOCK_STOCK_SQL, [sorted]);
}
