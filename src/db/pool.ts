import { Pool } from 'pg';

/**
 * Session settings of every Tributary connection, ahead of any the connection string sets (those win).
 *
 * plan_cache_mode=force_generic_plan: every statement of Tributary is a constant, prepared once per connection
 * (executor.ts) and written to reach its rows by key whatever the parameters are (see group-append.ts and
 * group-load.ts). Left to choose, PostgreSQL kept planning the hottest of them again on every call, because a
 * custom plan knows the length of an array parameter or that an optional bound is null and so looks cheaper:
 * on the command path, planning took more time than executing (bench/commands.ts,
 * docs/benchmarks-history.md §2).
 */
export const SESSION_OPTIONS = '-c plan_cache_mode=force_generic_plan';

/**
 * `connectionString` with SESSION_OPTIONS ahead of its own `options` (node-postgres lets options in the string
 * replace the ones given beside it, so they go in the string).
 */
export function withSessionOptions(connectionString: string): string {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return connectionString; // not a URL: left as given
  }
  const own = url.searchParams.get('options');
  url.searchParams.set('options', own ? `${SESSION_OPTIONS} ${own}` : SESSION_OPTIONS);
  return url.toString();
}

/**
 * A node-postgres pool for a long-running process. node-postgres emits `'error'` on a connection that fails
 * outside a query — an idle one in the pool, or one checked out between two statements (a lock held for the
 * process's life, a batch transaction) — and Node ends the process on an `'error'` event nobody listens to.
 * Here every connection gets a listener for its whole life, so a PostgreSQL restart or a network reset is
 * reported and then seen as a failed query by whoever uses the connection next, which retries (the error
 * table in src/errors counts these as retriable).
 */
export function createPool(
  connectionString: string,
  max: number,
  onConnectionError: (error: Error) => void,
  options: { queryTimeoutMs?: number; statementTimeoutMs?: number } = {},
): Pool {
  // A query timeout (client side) rejects a query that gets no answer, e.g. on a connection that died without a
  // reset reaching this end; the pool then discards that connection instead of waiting on it forever.
  const pool = new Pool({
    connectionString: withSessionOptions(connectionString),
    max,
    ...(options.queryTimeoutMs ? { query_timeout: options.queryTimeoutMs } : {}),
    // A server-side limit per statement (the API's sessions): PostgreSQL cancels it with 57014, retriable.
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
  });
  pool.on('error', onConnectionError);
  pool.on('connect', (client) => client.on('error', onConnectionError));
  return pool;
}
