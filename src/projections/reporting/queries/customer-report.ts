import type { Executor } from '../../../db/executor';
import { compareC } from '../deltas';
import { LIVE_TABLES } from '../tables';
import { exactNumber } from './numbers';

/** A customer's lifetime totals in one currency. */
export interface CustomerTotals {
  readonly currency: string;
  readonly orders: number;
  readonly pendingOrders: number;
  readonly confirmedOrders: number;
  readonly cancelledOrders: number;
  /** Σ totals of the confirmed orders, minor units of `currency`. */
  readonly lifetimeRevenue: number;
  readonly firstOrderAt: string;
  readonly lastOrderAt: string;
}

export interface CustomerReport {
  readonly customerId: string;
  /** As on the customer's latest order (any currency). */
  readonly name: string;
  readonly email: string;
  /** One entry per currency the customer ordered in, by currency. */
  readonly totals: readonly CustomerTotals[];
}

export const CUSTOMER_REPORT_SQL = `
select currency, name, email, orders::text as orders, confirmed_orders::text as confirmed_orders,
       cancelled_orders::text as cancelled_orders, lifetime_revenue::text as lifetime_revenue,
       to_char(first_order_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as first_order_at,
       to_char(last_order_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as last_order_at,
       last_order_id
from ${LIVE_TABLES.customers}
where customer_id = $1
order by currency`;

type Row = {
  currency: string;
  name: string;
  email: string;
  orders: string;
  confirmed_orders: string;
  cancelled_orders: string;
  lifetime_revenue: string;
  first_order_at: string;
  last_order_at: string;
  last_order_id: string;
};

/** The customer's totals, or null when the reports hold no order of theirs. */
export async function customerReport(executor: Executor, customerId: string): Promise<CustomerReport | null> {
  const rows = await executor.query<Row>(CUSTOMER_REPORT_SQL, [customerId]);
  if (rows.length === 0) return null;
  // The latest order over all currencies names the customer (times compare as ISO strings of one format).
  const latest = rows.reduce((a, b) =>
    b.last_order_at > a.last_order_at ||
    (b.last_order_at === a.last_order_at && compareC(b.last_order_id, a.last_order_id) > 0)
      ? b
      : a,
  );
  return {
    customerId,
    name: latest.name,
    email: latest.email,
    totals: rows.map((row) => {
      const orders = exactNumber(row.orders, 'orders');
      const confirmedOrders = exactNumber(row.confirmed_orders, 'confirmed orders');
      const cancelledOrders = exactNumber(row.cancelled_orders, 'cancelled orders');
      return {
        currency: row.currency,
        orders,
        pendingOrders: orders - confirmedOrders - cancelledOrders,
        confirmedOrders,
        cancelledOrders,
        lifetimeRevenue: exactNumber(
          row.lifetime_revenue,
          `lifetime revenue of ${customerId} in ${row.currency}`,
        ),
        firstOrderAt: row.first_order_at,
        lastOrderAt: row.last_order_at,
      };
    }),
  };
}
