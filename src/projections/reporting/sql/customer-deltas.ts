import type { Executor } from '../../../db/executor';
import type { CustomerDelta } from '../deltas';
import type { ReportTables } from '../tables';
import { checkSums } from './check-sums';

// The proposed row names a newer latest order (time, then order id in byte order) than the stored one.
const NEWER = `(excluded.last_order_at > r.last_order_at or (excluded.last_order_at = r.last_order_at
  and excluded.last_order_id collate "C" > r.last_order_id))`;

/**
 * Adds customer deltas to report_customers in key order, deletes the rows left without orders, and
 * recomputes the first and latest order of the keys an order left (or changed its time or name on):
 * those cannot be updated by comparison, so they are read from the contributions (an index scan each).
 *
 * A delta without a joining order still proposes a whole row (PostgreSQL checks NOT NULL on the proposed
 * row before it finds the conflict), with neutral values: first order at +infinity, latest at -infinity.
 */
export function upsertCustomersSql(tables: ReportTables): string {
  return `
insert into ${tables.customers} as r (customer_id, currency, name, email, orders, confirmed_orders,
  cancelled_orders, lifetime_revenue, first_order_at, last_order_at, last_order_id)
select d.customer_id, d.currency, d.name, d.email, d.orders, d.confirmed_orders, d.cancelled_orders,
  d.lifetime_revenue, d.first_order_at, d.last_order_at, d.last_order_id
from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[],
            $8::bigint[], $9::timestamptz[], $10::timestamptz[], $11::text[])
  as d(customer_id, currency, name, email, orders, confirmed_orders, cancelled_orders, lifetime_revenue,
       first_order_at, last_order_at, last_order_id)
order by d.customer_id, d.currency
on conflict (customer_id, currency) do update
  set orders = r.orders + excluded.orders,
      confirmed_orders = r.confirmed_orders + excluded.confirmed_orders,
      cancelled_orders = r.cancelled_orders + excluded.cancelled_orders,
      lifetime_revenue = r.lifetime_revenue + excluded.lifetime_revenue,
      first_order_at = least(r.first_order_at, excluded.first_order_at),
      last_order_at = case when ${NEWER} then excluded.last_order_at else r.last_order_at end,
      last_order_id = case when ${NEWER} then excluded.last_order_id else r.last_order_id end,
      name = case when ${NEWER} then excluded.name else r.name end,
      email = case when ${NEWER} then excluded.email else r.email end
returning r.customer_id, r.currency, r.orders::text as orders, r.confirmed_orders::text as confirmed_orders,
          r.cancelled_orders::text as cancelled_orders, r.lifetime_revenue::text as lifetime_revenue,
          r.last_order_id`;
}

export function deleteEmptyCustomersSql(tables: ReportTables): string {
  return `
delete from ${tables.customers} r
using unnest($1::text[], $2::text[]) as k(customer_id, currency)
where r.customer_id = k.customer_id and r.currency = k.currency and r.orders = 0`;
}

/** The first order and the latest (by time, then order id in byte order) from the contributions. */
export function recomputeCustomersSql(tables: ReportTables): string {
  return `
update ${tables.customers} r
set first_order_at = f.created_at, last_order_at = l.created_at, last_order_id = l.order_id,
    name = l.customer_name, email = l.customer_email
from unnest($1::text[], $2::text[]) as k(customer_id, currency)
cross join lateral (
  select c.created_at from ${tables.contributions} c
  where c.customer_id = k.customer_id and c.currency = k.currency
  order by c.created_at, c.order_id collate "C" limit 1) f
cross join lateral (
  select c.created_at, c.order_id, c.customer_name, c.customer_email from ${tables.contributions} c
  where c.customer_id = k.customer_id and c.currency = k.currency
  order by c.created_at desc, c.order_id collate "C" desc limit 1) l
where r.customer_id = k.customer_id and r.currency = k.currency`;
}

type Row = {
  customer_id: string;
  currency: string;
  orders: string;
  confirmed_orders: string;
  cancelled_orders: string;
  lifetime_revenue: string;
  last_order_id: string;
};

function isConsistent(row: Row): boolean {
  const orders = BigInt(row.orders);
  const confirmed = BigInt(row.confirmed_orders);
  const cancelled = BigInt(row.cancelled_orders);
  const revenue = BigInt(row.lifetime_revenue);
  return (
    confirmed >= 0n &&
    cancelled >= 0n &&
    revenue >= 0n &&
    confirmed + cancelled <= orders &&
    (confirmed > 0n || revenue === 0n) &&
    (orders === 0n || row.last_order_id !== '')
  );
}

export async function applyCustomerDeltas(
  executor: Executor,
  tables: ReportTables,
  deltas: readonly CustomerDelta[],
): Promise<void> {
  if (deltas.length === 0) return;
  const rows = await executor.query<Row>(upsertCustomersSql(tables), [
    deltas.map((d) => d.customerId),
    deltas.map((d) => d.currency),
    deltas.map((d) => d.latest?.name ?? ''),
    deltas.map((d) => d.latest?.email ?? ''),
    deltas.map((d) => d.orders),
    deltas.map((d) => d.confirmedOrders),
    deltas.map((d) => d.cancelledOrders),
    deltas.map((d) => d.lifetimeRevenue.toString()),
    deltas.map((d) => d.firstOrderAt ?? 'infinity'),
    deltas.map((d) => d.latest?.createdAt ?? '-infinity'),
    deltas.map((d) => d.latest?.orderId ?? ''),
  ]);
  const empty = rows.filter((row) => {
    checkSums(tables.customers, `${row.customer_id}/${row.currency}`, isConsistent(row), row);
    return row.orders === '0';
  });
  if (empty.length > 0) {
    await executor.query(deleteEmptyCustomersSql(tables), [
      empty.map((row) => row.customer_id),
      empty.map((row) => row.currency),
    ]);
  }
  const recompute = deltas.filter((d) => d.recompute);
  if (recompute.length > 0) {
    await executor.query(recomputeCustomersSql(tables), [
      recompute.map((d) => d.customerId),
      recompute.map((d) => d.currency),
    ]);
  }
}
