import type { Executor } from '../../../db/executor';
import type { DailyDelta } from '../deltas';
import type { ReportTables } from '../tables';
import { checkSums } from './check-sums';

/**
 * Adds daily deltas to report_daily (rows in key order, so concurrent writers lock them in one order),
 * then deletes the rows left without orders, so the table holds exactly what a clean delivery builds.
 */
export function upsertDailySql(tables: ReportTables): string {
  return `
insert into ${tables.daily} as r (day, status, currency, orders, revenue)
select d.day, d.status, d.currency, d.orders, d.revenue
from unnest($1::date[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
  as d(day, status, currency, orders, revenue)
order by d.day, d.status, d.currency
on conflict (day, status, currency) do update
  set orders = r.orders + excluded.orders, revenue = r.revenue + excluded.revenue
returning r.day::text as day, r.status, r.currency, r.orders::text as orders, r.revenue::text as revenue`;
}

export function deleteEmptyDailySql(tables: ReportTables): string {
  return `
delete from ${tables.daily} r
using unnest($1::date[], $2::text[], $3::text[]) as k(day, status, currency)
where r.day = k.day and r.status = k.status and r.currency = k.currency and r.orders = 0`;
}

type Row = { day: string; status: string; currency: string; orders: string; revenue: string };

export async function applyDailyDeltas(
  executor: Executor,
  tables: ReportTables,
  deltas: readonly DailyDelta[],
): Promise<void> {
  if (deltas.length === 0) return;
  const rows = await executor.query<Row>(upsertDailySql(tables), [
    deltas.map((d) => d.day),
    deltas.map((d) => d.status),
    deltas.map((d) => d.currency),
    deltas.map((d) => d.orders),
    deltas.map((d) => d.revenue.toString()),
  ]);
  const empty = rows.filter((row) => {
    const orders = BigInt(row.orders);
    const revenue = BigInt(row.revenue);
    const ok = orders >= 0n && revenue >= 0n && (orders > 0n || revenue === 0n);
    checkSums(tables.daily, `${row.day}/${row.status}/${row.currency}`, ok, row);
    return orders === 0n;
  });
  if (empty.length === 0) return;
  await executor.query(deleteEmptyDailySql(tables), [
    empty.map((row) => row.day),
    empty.map((row) => row.status),
    empty.map((row) => row.currency),
  ]);
}
