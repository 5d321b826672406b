import type { Executor } from '../../../db/executor';
import type { Contribution } from '../contribution';
import type { ReportTables } from '../tables';
import { CONTRIBUTION_COLUMNS, contributionRecords, contributionsParam } from './contribution-rows';

/**
 * Inserts the contributions of orders new to the table; returns the ids inserted. An order another writer
 * inserted meanwhile is left alone (the caller then locks and compares it). Inserting in order-id order
 * makes a concurrent writer of the same new orders wait for this transaction instead of deadlocking.
 */
export function insertContributionsSql(tables: ReportTables): string {
  return `
insert into ${tables.contributions} (${CONTRIBUTION_COLUMNS})
select ${CONTRIBUTION_COLUMNS} from ${contributionRecords(1)}
order by c.order_id
on conflict (order_id) do nothing
returning order_id`;
}

export async function insertNewContributions(
  executor: Executor,
  tables: ReportTables,
  contributions: readonly Contribution[],
): Promise<Set<string>> {
  if (contributions.length === 0) return new Set();
  const rows = await executor.query<{ order_id: string }>(insertContributionsSql(tables), [
    contributionsParam(contributions),
  ]);
  return new Set(rows.map((row) => row.order_id));
}
