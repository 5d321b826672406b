import type { Executor } from '../../../db/executor';
import { LIVE_TABLES, SHADOW_TABLES, tablesInLockOrder } from '../tables';

/**
 * Creates the empty shadow tables of a rebuild (`report_*_next`), each a copy of its live table's columns,
 * defaults, constraints, indexes and storage parameters (fillfactor); the leftovers of an abandoned
 * rebuild are dropped first.
 */

const LIVE = tablesInLockOrder(LIVE_TABLES);
const SHADOW = tablesInLockOrder(SHADOW_TABLES);

export const DROP_SHADOW_SQL = `drop table if exists ${SHADOW.join(', ')}`;

export const CREATE_SHADOW_SQL = SHADOW.map(
  (shadow, i) => `create table ${shadow} (like ${LIVE[i]} including all)`,
);

/** Storage parameters of the live tables (`like` does not copy them), e.g. `fillfactor=80`. */
export const LIVE_STORAGE_SQL = `
select c.relname as table_name, c.reloptions as options
from pg_class c
where c.oid = any($1::text[]::regclass[]) and c.reloptions is not null`;

export async function createReportingShadow(executor: Executor): Promise<void> {
  await executor.query(DROP_SHADOW_SQL);
  for (const sql of CREATE_SHADOW_SQL) await executor.query(sql);
  const storage = await executor.query<{ table_name: string; options: string[] }>(LIVE_STORAGE_SQL, [LIVE]);
  for (const { table_name, options } of storage) {
    // Options come from the catalog as `name=value` words of PostgreSQL's own making.
    await executor.query(`alter table ${SHADOW[LIVE.indexOf(table_name)]} set (${options.join(', ')})`);
  }
}

/** Drops the shadow tables (an abandoned rebuild). */
export async function dropReportingShadow(executor: Executor): Promise<void> {
  await executor.query(DROP_SHADOW_SQL);
}
