import type { Executor } from '../../../db/executor';
import { LIVE_TABLES } from '../tables';
import { exactNumber } from './numbers';

export type TopSkusBy = 'quantity' | 'revenue';

export interface TopSkusQuery {
  /** How many SKUs (per currency they sold in, a SKU counts once per currency). */
  readonly limit: number;
  /** Only this currency; all currencies when absent (revenue is never added across currencies). */
  readonly currency?: string;
  /** Rank by units sold or by revenue. */
  readonly by: TopSkusBy;
}

/** A SKU's sales in one currency, over confirmed orders. */
export interface TopSkuRow {
  readonly sku: string;
  readonly currency: string;
  /** The product name on most of its confirmed orders (ties: the first name in byte order). */
  readonly name: string;
  readonly quantity: number;
  /** Σ line totals, minor units of `currency`. */
  readonly revenue: number;
  /** Confirmed orders with the SKU. */
  readonly orders: number;
}

// report_skus has a row per name a SKU was sold under; the names fold here.
const topSkusSql = (first: string, second: string) => `
select sku, currency, (array_agg(name order by orders desc, name collate "C"))[1] as name,
       sum(quantity)::text as quantity, sum(revenue)::text as revenue, sum(orders)::text as orders
from ${LIVE_TABLES.skus}
where $1::text is null or currency = $1::text
group by sku, currency
order by sum(${first}) desc, sum(${second}) desc, sku, currency
limit $2`;

export const TOP_SKUS_BY_QUANTITY_SQL = topSkusSql('quantity', 'revenue');
export const TOP_SKUS_BY_REVENUE_SQL = topSkusSql('revenue', 'quantity');

export async function topSkus(executor: Executor, query: TopSkusQuery): Promise<TopSkuRow[]> {
  const sql = query.by === 'revenue' ? TOP_SKUS_BY_REVENUE_SQL : TOP_SKUS_BY_QUANTITY_SQL;
  const rows = await executor.query<{
    sku: string;
    currency: string;
    name: string;
    quantity: string;
    revenue: string;
    orders: string;
  }>(sql, [query.currency ?? null, query.limit]);
  return rows.map((row) => ({
    sku: row.sku,
    currency: row.currency,
    name: row.name,
    quantity: exactNumber(row.quantity, `quantity of ${row.sku}`),
    revenue: exactNumber(row.revenue, `revenue of ${row.sku} in ${row.currency}`),
    orders: exactNumber(row.orders, `orders of ${row.sku}`),
  }));
}
