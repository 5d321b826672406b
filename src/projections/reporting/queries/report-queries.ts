import type { Pool } from 'pg';
import { pgExecutor } from '../../../db/executor';
import { customerReport, type CustomerReport } from './customer-report';
import { dailyReport, type DailyReportQuery, type DailyReportRow } from './daily-report';
import { topSkus, type TopSkuRow, type TopSkusQuery } from './top-skus';

/** The report queries, bound to a pool: what the HTTP routes call. */
export interface ReportQueries {
  daily(query: DailyReportQuery): Promise<DailyReportRow[]>;
  /** Null when the reports hold no order of the customer. */
  customer(customerId: string): Promise<CustomerReport | null>;
  topSkus(query: TopSkusQuery): Promise<TopSkuRow[]>;
}

/**
 * Each query is one statement on a pooled connection, outside any explicit transaction: a read waiting
 * during a table swap then sees the new tables whole. (A REPEATABLE READ transaction that began before a
 * swap could see the new tables empty: do not wrap these reads in one.)
 */
export function createReportQueries(pool: Pool): ReportQueries {
  const executor = pgExecutor(pool);
  return {
    daily: (query) => dailyReport(executor, query),
    customer: (customerId) => customerReport(executor, customerId),
    topSkus: (query) => topSkus(executor, query),
  };
}
