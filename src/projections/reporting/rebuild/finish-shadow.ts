import type { Executor } from '../../../db/executor';
import { SHADOW_TABLES as S } from '../tables';

/**
 * Computes the shadow reports from the shadow contributions in one pass each (`insert … select … group
 * by`), replacing whatever they held, then updates the planner statistics of the shadow tables. The
 * results are the rows the live projector's deltas produce for the same contributions, to the byte:
 * the same keys, sums, first/latest order rule (created_at, then order id in byte order), and no row
 * without orders.
 */

export const FINISH_DAILY_SQL = [
  `delete from ${S.daily}`,
  `insert into ${S.daily} (day, status, currency, orders, revenue)
   select day, status, currency, count(*), sum(total_amount)
   from ${S.contributions}
   group by day, status, currency`,
];

export const FINISH_CUSTOMERS_SQL = [
  `delete from ${S.customers}`,
  `insert into ${S.customers} (customer_id, currency, name, email, orders, confirmed_orders, cancelled_orders,
     lifetime_revenue, first_order_at, last_order_at, last_order_id)
   select customer_id, currency,
     (array_agg(customer_name order by created_at desc, order_id collate "C" desc))[1],
     (array_agg(customer_email order by created_at desc, order_id collate "C" desc))[1],
     count(*),
     count(*) filter (where status = 'confirmed'),
     count(*) filter (where status = 'cancelled'),
     coalesce(sum(total_amount) filter (where status = 'confirmed'), 0),
     min(created_at),
     max(created_at),
     (array_agg(order_id order by created_at desc, order_id collate "C" desc))[1]
   from ${S.contributions}
   group by customer_id, currency`,
];

export const FINISH_SKUS_SQL = [
  `delete from ${S.skus}`,
  `insert into ${S.skus} (sku, currency, name, quantity, revenue, orders)
   select l.sku, c.currency, l.name, sum(l.quantity), sum(l."lineTotal"), count(distinct c.order_id)
   from ${S.contributions} c
   cross join lateral jsonb_to_recordset(c.lines) as l(sku text, name text, quantity bigint, "lineTotal" bigint)
   where c.status = 'confirmed'
   group by l.sku, c.currency, l.name`,
];

export const ANALYZE_SHADOW_SQL = `analyze ${[S.contributions, S.daily, S.customers, S.skus].join(', ')}`;

export async function finishReportingShadow(executor: Executor): Promise<void> {
  for (const sql of [...FINISH_DAILY_SQL, ...FINISH_CUSTOMERS_SQL, ...FINISH_SKUS_SQL, ANALYZE_SHADOW_SQL]) {
    await executor.query(sql);
  }
}
