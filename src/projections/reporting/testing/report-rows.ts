import type { Pool } from 'pg';
import type { OrderView } from '../../../domain/orders/view';
import { compareC } from '../deltas';
import { LIVE_TABLES, type ReportTables } from '../tables';

/**
 * For tests: the rows of every report table as plain strings, sorted, so two read models compare with
 * toEqual; and the same rows folded independently from the orders' final states (no delta code), the
 * reference a projector must end up equal to.
 */

export type Rows = Record<string, string>[];

export interface ReportRows {
  contributions: Rows;
  daily: Rows;
  customers: Rows;
  skus: Rows;
}

const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

function sortRows(rows: Rows, key: string[]): Rows {
  const keyOf = (row: Record<string, string>) => JSON.stringify(key.map((k) => row[k]));
  return [...rows].sort((a, b) => compareC(keyOf(a), keyOf(b)));
}

/** Every row of the report tables of `tables` (live by default); contributions without updated_at. */
export async function readReportRows(pool: Pool, tables: ReportTables = LIVE_TABLES): Promise<ReportRows> {
  const read = async (sql: string, key: string[]) =>
    sortRows((await pool.query<Record<string, string>>(sql)).rows, key);
  return {
    contributions: await read(
      `select order_id, version::text as version, customer_id, customer_name, customer_email,
              ${iso('created_at')} as created_at, day::text as day, status, currency,
              total_amount::text as total_amount, lines::text as lines
       from ${tables.contributions}`,
      ['order_id'],
    ),
    daily: await read(
      `select day::text as day, status, currency, orders::text as orders, revenue::text as revenue
       from ${tables.daily}`,
      ['day', 'status', 'currency'],
    ),
    customers: await read(
      `select customer_id, currency, name, email, orders::text as orders,
              confirmed_orders::text as confirmed_orders, cancelled_orders::text as cancelled_orders,
              lifetime_revenue::text as lifetime_revenue, ${iso('first_order_at')} as first_order_at,
              ${iso('last_order_at')} as last_order_at, last_order_id
       from ${tables.customers}`,
      ['customer_id', 'currency'],
    ),
    skus: await read(
      `select sku, currency, name, quantity::text as quantity, revenue::text as revenue, orders::text as orders
       from ${tables.skus}`,
      ['sku', 'currency', 'name'],
    ),
  };
}

/** The report rows without contributions (whose `lines` text is PostgreSQL's jsonb rendering). */
export function reportsOnly({ daily, customers, skus }: ReportRows): Omit<ReportRows, 'contributions'> {
  return { daily, customers, skus };
}

function add(map: Map<string, Record<string, string>>, key: string, init: () => Record<string, string>) {
  let row = map.get(key);
  if (row === undefined) {
    row = init();
    map.set(key, row);
  }
  return row;
}

const plus = (a: string, b: number | bigint) => (BigInt(a) + BigInt(b)).toString();
const isoOf = (at: string) => new Date(at).toISOString();

/** The reports folded from the final state of every order, the simplest way (order by order). */
export function expectedReports(views: readonly OrderView[]): Omit<ReportRows, 'contributions'> {
  const daily = new Map<string, Record<string, string>>();
  const customers = new Map<string, Record<string, string>>();
  const skus = new Map<string, Record<string, string>>();
  for (const view of views) {
    const createdAt = isoOf(view.createdAt);
    const day = createdAt.slice(0, 10);
    const d = add(daily, JSON.stringify([day, view.status, view.currency]), () => ({
      day,
      status: view.status,
      currency: view.currency,
      orders: '0',
      revenue: '0',
    }));
    d.orders = plus(d.orders!, 1);
    d.revenue = plus(d.revenue!, view.totalAmount);

    const c = add(customers, JSON.stringify([view.customer.id, view.currency]), () => ({
      customer_id: view.customer.id,
      currency: view.currency,
      name: view.customer.name,
      email: view.customer.email,
      orders: '0',
      confirmed_orders: '0',
      cancelled_orders: '0',
      lifetime_revenue: '0',
      first_order_at: createdAt,
      last_order_at: createdAt,
      last_order_id: view.id,
    }));
    c.orders = plus(c.orders!, 1);
    if (view.status === 'confirmed') {
      c.confirmed_orders = plus(c.confirmed_orders!, 1);
      c.lifetime_revenue = plus(c.lifetime_revenue!, view.totalAmount);
    }
    if (view.status === 'cancelled') c.cancelled_orders = plus(c.cancelled_orders!, 1);
    if (createdAt < c.first_order_at!) c.first_order_at = createdAt;
    const later =
      createdAt > c.last_order_at! ||
      (createdAt === c.last_order_at && compareC(view.id, c.last_order_id!) > 0);
    if (later)
      Object.assign(c, {
        last_order_at: createdAt,
        last_order_id: view.id,
        name: view.customer.name,
        email: view.customer.email,
      });

    if (view.status !== 'confirmed') continue;
    const counted = new Set<string>();
    for (const line of view.lines) {
      const key = JSON.stringify([line.sku, view.currency, line.name]);
      const s = add(skus, key, () => ({
        sku: line.sku,
        currency: view.currency,
        name: line.name,
        quantity: '0',
        revenue: '0',
        orders: '0',
      }));
      s.quantity = plus(s.quantity!, line.quantity);
      s.revenue = plus(s.revenue!, line.lineTotal);
      if (!counted.has(key)) s.orders = plus(s.orders!, 1);
      counted.add(key);
    }
  }
  return {
    daily: sortRows([...daily.values()], ['day', 'status', 'currency']),
    customers: sortRows([...customers.values()], ['customer_id', 'currency']),
    skus: sortRows([...skus.values()], ['sku', 'currency', 'name']),
  };
}

/** Empties the live report tables and the applied-event ids. */
export async function resetReportTables(pool: Pool): Promise<void> {
  await pool.query(
    `truncate ${LIVE_TABLES.contributions}, ${LIVE_TABLES.daily}, ${LIVE_TABLES.customers}, ${LIVE_TABLES.skus},
              projection_applied_events`,
  );
}
