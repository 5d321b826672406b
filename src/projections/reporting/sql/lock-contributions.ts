import type { Executor } from '../../../db/executor';
import type { Contribution } from '../contribution';
import type { ReportTables } from '../tables';
import { CONTRIBUTION_SELECT, fromContributionRow, type ContributionRow } from './contribution-rows';

/**
 * Reads and locks the current contributions of `orderIds` until the transaction ends, in order-id order
 * (so two writers of overlapping orders queue instead of deadlocking). A writer that updated one of them
 * meanwhile has committed by the time this returns, and its version is the one returned.
 */
export function lockContributionsSql(tables: ReportTables): string {
  return `
select ${CONTRIBUTION_SELECT('c')}
from ${tables.contributions} c
where c.order_id = any($1::text[])
order by c.order_id
for update`;
}

export async function lockContributions(
  executor: Executor,
  tables: ReportTables,
  orderIds: readonly string[],
): Promise<Map<string, Contribution>> {
  if (orderIds.length === 0) return new Map();
  const rows = await executor.query<ContributionRow>(lockContributionsSql(tables), [orderIds]);
  return new Map(rows.map((row) => [row.order_id, fromContributionRow(row)]));
}
