import { Pool } from 'pg';

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
  options: { queryTimeoutMs?: number } = {},
): Pool {
  // A query timeout (client side) rejects a query that gets no answer, e.g. on a connection that died without a
  // reset reaching this end; the pool then discards that connection instead of waiting on it forever.
  const pool = new Pool({
    connectionString,
    max,
    ...(options.queryTimeoutMs ? { query_timeout: options.queryTimeoutMs } : {}),
  });
  pool.on('error', onConnectionError);
  pool.on('connect', (client) => client.on('error', onConnectionError));
  return pool;
}
