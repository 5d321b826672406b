import type { Executor } from '../../../db/executor';
import type { Contribution } from '../contribution';
import type { ReportTables } from '../tables';
import { contributionRecords, contributionsParam } from './contribution-rows';

/** Replaces the contributions of orders whose rows the transaction has locked (lock-contributions.ts). */
export function updateContributionsSql(tables: ReportTables): string {
  return `
update ${tables.contributions} t
set version = c.version, customer_id = c.customer_id, customer_name = c.customer_name,
    customer_email = c.customer_email, created_at = c.created_at, day = c.day, status = c.status,
    currency = c.currency, total_amount = c.total_amount, lines = c.lines, updated_at = now()
from ${contributionRecords(1)}
where t.order_id = c.order_id`;
}

export async function updateContributions(
  executor: Executor,
  tables: ReportTables,
  contributions: readonly Contribution[],
): Promise<void> {
  if (contributions.length === 0) return;
  await executor.query(updateContributionsSql(tables), [contributionsParam(contributions)]);
}
