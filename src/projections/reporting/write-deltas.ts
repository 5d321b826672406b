import type { Executor } from '../../db/executor';
import { reportDeltas, type ContributionChange } from './deltas';
import { applyCustomerDeltas } from './sql/customer-deltas';
import { applyDailyDeltas } from './sql/daily-deltas';
import { applySkuDeltas } from './sql/sku-deltas';
import type { ReportTables } from './tables';

/**
 * Brings the reports of `tables` in line with contribution changes already written to its contributions
 * table (in the same transaction): daily, then customers, then SKUs (the lock order of every writer).
 */
export async function writeReportChanges(
  executor: Executor,
  tables: ReportTables,
  changes: readonly ContributionChange[],
): Promise<void> {
  if (changes.length === 0) return;
  const deltas = reportDeltas(changes);
  await applyDailyDeltas(executor, tables, deltas.daily);
  await applyCustomerDeltas(executor, tables, deltas.customers);
  await applySkuDeltas(executor, tables, deltas.skus);
}
