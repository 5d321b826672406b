import type { Executor } from '../../../db/executor';
import type { SkuDelta } from '../deltas';
import type { ReportTables } from '../tables';
import { checkSums } from './check-sums';

/** Adds SKU deltas to report_skus in key order, then deletes the rows left without orders. */
export function upsertSkusSql(tables: ReportTables): string {
  return `
insert into ${tables.skus} as r (sku, currency, name, quantity, revenue, orders)
select d.sku, d.currency, d.name, d.quantity, d.revenue, d.orders
from unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[])
  as d(sku, currency, name, quantity, revenue, orders)
order by d.sku, d.currency, d.name
on conflict (sku, currency, name) do update
  set quantity = r.quantity + excluded.quantity, revenue = r.revenue + excluded.revenue,
      orders = r.orders + excluded.orders
returning r.sku, r.currency, r.name, r.quantity::text as quantity, r.revenue::text as revenue,
          r.orders::text as orders`;
}

export function deleteEmptySkusSql(tables: ReportTables): string {
  return `
delete from ${tables.skus} r
using unnest($1::text[], $2::text[], $3::text[]) as k(sku, currency, name)
where r.sku = k.sku and r.currency = k.currency and r.name = k.name and r.orders = 0`;
}

type Row = { sku: string; currency: string; name: string; quantity: string; revenue: string; orders: string };

export async function applySkuDeltas(
  executor: Executor,
  tables: ReportTables,
  deltas: readonly SkuDelta[],
): Promise<void> {
  if (deltas.length === 0) return;
  const rows = await executor.query<Row>(upsertSkusSql(tables), [
    deltas.map((d) => d.sku),
    deltas.map((d) => d.currency),
    deltas.map((d) => d.name),
    deltas.map((d) => d.quantity.toString()),
    deltas.map((d) => d.revenue.toString()),
    deltas.map((d) => d.orders),
  ]);
  const empty = rows.filter((row) => {
    const [quantity, revenue, orders] = [BigInt(row.quantity), BigInt(row.revenue), BigInt(row.orders)];
    const ok =
      quantity >= 0n && revenue >= 0n && orders >= 0n && (orders > 0n || (quantity === 0n && revenue === 0n));
    checkSums(tables.skus, `${row.sku}/${row.currency}/${row.name}`, ok, row);
    return orders === 0n;
  });
  if (empty.length === 0) return;
  await executor.query(deleteEmptySkusSql(tables), [
    empty.map((row) => row.sku),
    empty.map((row) => row.currency),
    empty.map((row) => row.name),
  ]);
}
