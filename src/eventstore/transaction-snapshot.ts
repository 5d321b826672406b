import type { Executor } from '../db/executor';

/**
 * A point in the store's history: PostgreSQL's current transaction snapshot (`xmin:xmax:xip`), which says
 * for every transaction whether it had committed by then. With `streamsChangedSince` it lets a reader that
 * copies the store for a while (e.g. a read-model rebuild) find what changed while it copied.
 */
export const TRANSACTION_SNAPSHOT_SQL = `select pg_current_snapshot()::text as snapshot`;

export async function transactionSnapshot(executor: Executor): Promise<string> {
  const [row] = await executor.query<{ snapshot: string }>(TRANSACTION_SNAPSHOT_SQL);
  return row!.snapshot;
}
