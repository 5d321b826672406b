import type { Pool } from 'pg';
import { TributaryError } from '../../errors';
import { withTransaction, type Executor } from '../executor';
import type { RoleNames } from './names';
import { grantStatements } from './privileges';

export const EXISTING_ROLES_SQL = `select rolname from pg_roles where rolname = any($1::text[])`;

/**
 * Which of the deployment's roles exist: all of them (grant to them), none (a single-role setup: nothing to
 * grant), or some — `db roles` did not run or failed halfway, and granting to half the roles would leave
 * components that cannot connect.
 */
export async function rolesPresent(executor: Executor, roles: RoleNames): Promise<'all' | 'none'> {
  const wanted = Object.values(roles);
  const found = new Set(
    (await executor.query<{ rolname: string }>(EXISTING_ROLES_SQL, [wanted])).map((row) => row.rolname),
  );
  if (found.size === wanted.length) return 'all';
  if (found.size === 0) return 'none';
  const missing = wanted.filter((name) => !found.has(name));
  throw new TributaryError(
    'input.invalid',
    `roles ${missing.join(', ')} do not exist while ${[...found].join(', ')} do: run \`tributary db roles\` (DB_ROLE_PREFIX decides the names)`,
  );
}

/**
 * Brings every table's grants and row-level security policies to the table in privileges.ts, in one
 * transaction (a failure changes nothing). Run as the owner after the migrations, so tables a migration
 * created get their grants at once. Returns the number of statements.
 */
export async function applyGrants(pool: Pool, roles: RoleNames): Promise<number> {
  const statements = grantStatements(roles);
  await withTransaction(pool, async (executor) => {
    for (const sql of statements) await executor.query(sql);
  });
  return statements.length;
}
