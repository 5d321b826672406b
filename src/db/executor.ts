import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { toTributaryError } from '../errors';

/**
 * What every database operation receives: something that runs one SQL statement. A pg client, a pool, or a
 * TypeORM entity manager inside the caller's transaction all fit, which is how an outbox write joins the
 * transaction of a CRUD app. Operations never reach for a global pool.
 */
export interface Executor {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

/**
 * Statement names by SQL text. Every statement of Tributary is a constant, so naming it prepares it once per
 * connection (node-postgres otherwise sends each parameterised query as an unnamed statement, parsed and
 * planned on every call). Measured in bench/append.ts. Tributary's pools also keep PostgreSQL from planning a
 * prepared statement again per call (plan_cache_mode, src/db/pool.ts).
 */
const statementNames = new Map<string, string>();

function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (name === undefined) {
    name = `tributary_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
    statementNames.set(sql, name);
  }
  return name;
}

/** Adapts a node-postgres client or pool; parameterised statements are prepared once per connection. */
export function pgExecutor(client: Pick<PoolClient, 'query'> | Pool): Executor {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      const result =
        params.length === 0
          ? await client.query(sql)
          : await client.query({ name: statementName(sql), text: sql, values: params as unknown[] });
      return result.rows as Row[];
    },
  };
}

/**
 * Runs `work` in one transaction on a connection of `pool`: COMMIT when it resolves, ROLLBACK when it
 * throws (the error is rethrown, as a TributaryError).
 */
export async function withTransaction<T>(pool: Pool, work: (executor: Executor) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
  } catch (error) {
    client.release(error as Error); // a connection that fails its first statement is not reused
    throw error;
  }
  let broken: Error | undefined;
  try {
    const result = await work(pgExecutor(client));
    await client.query('commit');
    return result;
  } catch (error) {
    // The work's error is the one to report. A rollback that fails means the connection is unusable (or
    // still in the transaction): it is destroyed below instead of going back to the pool.
    await client.query('rollback').catch((rollbackError: Error) => (broken = rollbackError));
    throw toTributaryError(error);
  } finally {
    client.release(broken);
  }
}

/**
 * Runs `work` inside the caller's transaction under a savepoint: when it throws, what it wrote is rolled back
 * and the transaction stays usable (also after a failed statement); the error is rethrown.
 */
export async function withSavepoint<T>(executor: Executor, work: () => Promise<T>): Promise<T> {
  await executor.query('savepoint tributary_work');
  try {
    const result = await work();
    await executor.query('release savepoint tributary_work');
    return result;
  } catch (error) {
    await executor.query('rollback to savepoint tributary_work');
    throw error;
  }
}
