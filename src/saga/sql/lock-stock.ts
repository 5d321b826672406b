import type { Executor } from '../../db/executor';

/**
 * Transaction-scoped advisory locks on the stock of `skus`, taken in one order (sorted) so two sagas never
 * wait on each other in a cycle. Sagas competing for one SKU then take turns instead of failing each other's
 * conditional appends; a writer that does not lock (an API restock) still meets optimistic concurrency.
 */
export const LOCK_STOCK_SQL = `select pg_advisory_xact_lock(hashtextextended('stock of ' || $1, 0))`;

export async function lockStock(executor: Executor, skus: readonly string[]): Promise<void> {
  for (const sku of [...new Set(skus)].sort()) await executor.query(LOCK_STOCK_SQL, [sku]);
}
