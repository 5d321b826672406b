import type { Executor } from '../../../db/executor';
import { LIVE_TABLES } from '../tables';
import { exactNumber } from './numbers';

export interface DailyReportQuery {
  /** First day, YYYY-MM-DD (UTC), inclusive. */
  readonly from: string;
  /** Last day, YYYY-MM-DD (UTC), inclusive. */
  readonly to: string;
  /** Only this currency; all currencies when absent. */
  readonly currency?: string;
}

/** Orders created on one UTC day, in one status and currency. */
export interface DailyReportRow {
  readonly day: string;
  readonly status: string;
  readonly currency: string;
  readonly orders: number;
  /** Σ order totals, minor units of `currency`. */
  readonly revenue: number;
}

export const DAILY_REPORT_SQL = `
select day::text as day, status, currency, orders::text as orders, revenue::text as revenue
from ${LIVE_TABLES.daily}
where day between $1::date and $2::date and ($3::text is null or currency = $3::text)
order by day, currency, status`;

/** Days without orders have no rows. */
export async function dailyReport(executor: Executor, query: DailyReportQuery): Promise<DailyReportRow[]> {
  const rows = await executor.query<{
    day: string;
    status: string;
    currency: string;
    orders: string;
    revenue: string;
  }>(DAILY_REPORT_SQL, [query.from, query.to, query.currency ?? null]);
  return rows.map((row) => ({
    day: row.day,
    status: row.status,
    currency: row.currency,
    orders: exactNumber(row.orders, 'orders'),
    revenue: exactNumber(row.revenue, `revenue of ${row.day} ${row.status} ${row.currency}`),
  }));
}
