import { escapeIdentifier, type Pool } from 'pg';
import { withTransaction, type Executor } from '../../../db/executor';
import { TributaryError } from '../../../errors';
import { LIVE_TABLES, SHADOW_TABLES, tablesInLockOrder } from '../tables';
import { catchUpReportingShadow } from './catch-up-shadow';

/**
 * Swaps the finished shadow tables in for the live ones, in one transaction:
 *
 *  1. lock the live tables in EXCLUSIVE mode: the projector waits (its transactions in flight finish
 *     first), queries keep reading the live tables;
 *  2. catch the shadow up with what the projector applied since the rebuild started;
 *  3. lock in ACCESS EXCLUSIVE mode, give the shadow tables the live ones' grants, drop the live tables,
 *     rename the shadow ones (and their indexes, so every rebuild leaves the names the migration gave),
 *     commit.
 *
 * Readers see the old set or the new one, never a mix or nothing: a query waiting on a lock during the
 * swap resolves the table name again when it gets the lock, and so do statements prepared before the
 * swap (PostgreSQL re-plans them when a table they use is dropped). The projector's next transaction
 * writes to the new tables. Applied-event ids are not swapped: they stay valid, since the new tables
 * hold every applied state (or a newer one). `create table … (like …)` copies no grants, so the swap copies
 * them: the reporting projector, the API and the read-only role (`tributary setup`) keep their rights
 * through a rebuild, which runs as the tables' owner.
 */

const LIVE = tablesInLockOrder(LIVE_TABLES);
const SHADOW = tablesInLockOrder(SHADOW_TABLES);

export const LOCK_LIVE_EXCLUSIVE_SQL = `lock table ${LIVE.join(', ')} in exclusive mode`;
export const LOCK_ALL_ACCESS_EXCLUSIVE_SQL = `lock table ${[...LIVE, ...SHADOW].join(', ')} in access exclusive mode`;

export const SHADOW_STATE_SQL = `
select exists (select 1 from ${SHADOW_TABLES.contributions}) as filled,
       exists (select 1 from ${SHADOW_TABLES.daily}) as finished`;

/** Each index of the given tables with what identifies it apart from its name and table. */
export const INDEXES_SQL = `
select t.relname as table_name, i.relname as index_name,
       x.indisunique::text || ' ' || regexp_replace(pg_get_indexdef(x.indexrelid), '^.* USING ', '') as shape
from pg_index x
join pg_class i on i.oid = x.indexrelid
join pg_class t on t.oid = x.indrelid
where x.indrelid = any($1::text[]::regclass[])`;

export const DROP_LIVE_SQL = `drop table ${LIVE.join(', ')}`;

/** GRANT statements giving table $2 every right table $1 grants to others than its owner. */
export const COPY_GRANTS_SQL = `
select format('grant %s on table %s to %s', a.privilege_type, $2::text,
              case when a.grantee = 0 then 'public' else quote_ident(r.rolname) end) as sql
from pg_class c
cross join lateral aclexplode(c.relacl) a
left join pg_roles r on r.oid = a.grantee
where c.oid = $1::text::regclass and a.grantee <> c.relowner`;

type IndexRow = { table_name: string; index_name: string; shape: string };

/** `alter index` statements giving each shadow index the name of the live index of the same shape. */
async function indexRenames(executor: Executor): Promise<string[]> {
  const rows = await executor.query<IndexRow>(INDEXES_SQL, [[...LIVE, ...SHADOW]]);
  const liveName = new Map(rows.map((row) => [`${row.table_name} ${row.shape}`, row.index_name]));
  const renames: string[] = [];
  SHADOW.forEach((shadow, i) => {
    for (const row of rows.filter((r) => r.table_name === shadow)) {
      const name = liveName.get(`${LIVE[i]} ${row.shape}`);
      if (name !== undefined && name !== row.index_name) {
        renames.push(`alter index ${escapeIdentifier(row.index_name)} rename to ${escapeIdentifier(name)}`);
      }
    }
  });
  return renames;
}

export interface SwapResult {
  /** Orders the swap took over from the live tables (applied while the shadow was being built). */
  readonly caughtUp: number;
}

export async function swapReportingTables(pool: Pool): Promise<SwapResult> {
  return withTransaction(pool, async (executor) => {
    await executor.query(LOCK_LIVE_EXCLUSIVE_SQL);
    const [state] = await executor.query<{ filled: boolean; finished: boolean }>(SHADOW_STATE_SQL);
    if (state?.filled === true && !state.finished) {
      throw new TributaryError(
        'internal',
        'the reporting shadow was filled but not finished: call finishReportingShadow before the swap',
      );
    }
    const caughtUp = await catchUpReportingShadow(executor);
    await executor.query(LOCK_ALL_ACCESS_EXCLUSIVE_SQL);
    const renames = await indexRenames(executor);
    for (const [i, shadow] of SHADOW.entries()) {
      const grants = await executor.query<{ sql: string }>(COPY_GRANTS_SQL, [LIVE[i], shadow]);
      for (const { sql } of grants) await executor.query(sql);
    }
    await executor.query(DROP_LIVE_SQL);
    for (const [i, shadow] of SHADOW.entries()) {
      await executor.query(`alter table ${shadow} rename to ${LIVE[i]}`);
    }
    for (const rename of renames) await executor.query(rename);
    return { caughtUp };
  });
}
