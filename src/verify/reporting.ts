import { isDeepStrictEqual } from 'node:util';
import type { Executor } from '../db/executor';
import { contributionOf, LIVE_TABLES as T } from '../projections/reporting';
import {
  CONTRIBUTION_SELECT,
  fromContributionRow,
  type ContributionRow,
} from '../projections/reporting/sql/contribution-rows';
import { orderPages } from './orders';
import {
  emptyCheck,
  ProblemList,
  type CheckResult,
  type Problem,
  type ProblemKind,
  type VerifyWindow,
} from './types';

/**
 * Reports equal the fold of the store, in two steps: each order's contribution (what it adds to the reports)
 * equals the contribution of its folded state; and every report row equals the sum of the contributions
 * (so a contribution counted twice, or a row edited by hand, shows).
 */

const CONTRIBUTIONS_OF_SQL = `select ${CONTRIBUTION_SELECT('c')} from ${T.contributions} c where c.order_id = any($1::text[])`;

const UNEXPECTED_CONTRIBUTIONS_SQL = `
  select c.order_id from ${T.contributions} c
   where not exists (select 1 from streams s where s.stream_id = 'order-' || c.order_id)`;

/** Each report, keyed, against the same sums computed from the contributions; rows that differ either way. */
const TOTALS = [
  {
    table: T.daily,
    key: `day::text || ' ' || status || ' ' || currency`,
    actual: `select day, status, currency, orders::bigint, revenue::bigint from ${T.daily}`,
    expected: `select day, status, currency, count(*)::bigint, sum(total_amount)::bigint
                 from ${T.contributions} group by day, status, currency`,
    columns: 'day, status, currency, orders, revenue',
  },
  {
    table: T.customers,
    key: `customer_id || ' ' || currency`,
    actual: `select customer_id, currency, orders::bigint, confirmed_orders::bigint, cancelled_orders::bigint,
                    lifetime_revenue::bigint from ${T.customers}`,
    expected: `select customer_id, currency, count(*)::bigint, (count(*) filter (where status = 'confirmed'))::bigint,
                      (count(*) filter (where status = 'cancelled'))::bigint,
                      coalesce(sum(total_amount) filter (where status = 'confirmed'), 0)::bigint
                 from ${T.contributions} group by customer_id, currency`,
    columns: 'customer_id, currency, orders, confirmed_orders, cancelled_orders, lifetime_revenue',
  },
  {
    table: T.skus,
    key: `sku || ' ' || currency || ' ' || name`,
    actual: `select sku, currency, name, quantity::bigint, revenue::bigint, orders::bigint from ${T.skus}`,
    expected: `select l.sku, c.currency, l.name, sum(l.quantity)::bigint, sum(l."lineTotal")::bigint,
                      count(distinct c.order_id)::bigint
                 from ${T.contributions} c
                 cross join lateral jsonb_to_recordset(c.lines)
                   as l(sku text, name text, quantity bigint, "lineTotal" bigint)
                where c.status = 'confirmed' group by l.sku, c.currency, l.name`,
    columns: 'sku, currency, name, quantity, revenue, orders',
  },
];

function totalsSql(t: (typeof TOTALS)[number]): string {
  return `
    with actual(${t.columns}) as (${t.actual}), expected(${t.columns}) as (${t.expected}),
    extra as (select * from actual except all select * from expected),
    lacking as (select * from expected except all select * from actual)
    select 'report has' as side, ${t.key} as key, row_to_json(extra)::text as row from extra
    union all
    select 'sums give' as side, ${t.key} as key, row_to_json(lacking)::text as row from lacking
    order by key, side`;
}

const COUNT_SQL = (table: string) => `select count(*)::int as n from ${table}`;

export async function checkReporting(
  executor: Executor,
  window: VerifyWindow,
): Promise<{ results: CheckResult[]; problems: Problem[] }> {
  const list = new ProblemList();
  const results = [await checkContributions(executor, window, list)];
  for (const totals of TOTALS) results.push(await checkTotals(executor, totals, list));
  return { results, problems: list.problems };
}

/** Each order's stored contribution against the contribution of its folded state. */
async function checkContributions(
  executor: Executor,
  window: VerifyWindow,
  list: ProblemList,
): Promise<CheckResult> {
  const name = 'report contributions';
  const result = { ...emptyCheck(name) };
  for await (const views of orderPages(executor, window)) {
    if (views.length === 0) continue;
    const rows = await executor.query<ContributionRow>(CONTRIBUTIONS_OF_SQL, [views.map((v) => v.id)]);
    const byId = new Map(rows.map((row) => [row.order_id, fromContributionRow(row)]));
    for (const view of views) {
      result.checked += 1;
      const stored = byId.get(view.id);
      if (stored === undefined) {
        result.missing += 1;
        list.note(name, 'missing', view.id, `no contribution for order ${view.id} (version ${view.version})`);
      } else if (!isDeepStrictEqual({ ...stored }, { ...contributionOf(view) })) {
        result.mismatched += 1;
        list.note(
          name,
          'mismatched',
          view.id,
          `contribution at version ${stored.version} differs from the fold at version ${view.version}`,
        );
      }
    }
  }
  if (window.since === undefined) {
    const unexpected = await executor.query<{ order_id: string }>(UNEXPECTED_CONTRIBUTIONS_SQL);
    result.unexpected = unexpected.length;
    for (const row of unexpected)
      list.note(
        name,
        'unexpected',
        row.order_id,
        `contribution of ${row.order_id} names no order in the store`,
      );
  }
  return result;
}

/** One report's rows against the sums of the contributions; each key that differs is one problem. */
async function checkTotals(
  executor: Executor,
  totals: (typeof TOTALS)[number],
  list: ProblemList,
): Promise<CheckResult> {
  const check = `report ${totals.table}`;
  const diff = await executor.query<{ side: string; key: string; row: string }>(totalsSql(totals));
  const [{ n }] = (await executor.query<{ n: number }>(COUNT_SQL(totals.table))) as [{ n: number }];
  const tally = { ...emptyCheck(check), checked: n };
  for (const key of new Set(diff.map((d) => d.key))) {
    const sides = diff.filter((d) => d.key === key);
    const kind = differenceKind(sides);
    if (kind === 'unexpected') tally.unexpected += 1;
    else if (kind === 'missing') tally.missing += 1;
    else if (kind === 'duplicated') tally.duplicated += 1;
    else tally.mismatched += 1;
    list.note(check, kind, key, sides.map((d) => `${d.side} ${d.row}`).join('; '));
  }
  return tally;
}

/**
 * A row only the report has is unexpected, one only the sums give is missing; when both have it, more orders
 * in the report than in the sums means a contribution counted twice.
 */
function differenceKind(sides: { side: string; row: string }[]): ProblemKind {
  const has = sides.find((d) => d.side === 'report has');
  const gives = sides.find((d) => d.side === 'sums give');
  const orders = (row: { row: string } | undefined) =>
    Number((JSON.parse(row?.row ?? '{}') as { orders?: unknown }).orders);
  if (has && !gives) return 'unexpected';
  if (gives && !has) return 'missing';
  return orders(has) > orders(gives) ? 'duplicated' : 'mismatched';
}
