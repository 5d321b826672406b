import type { Pool, PoolClient } from 'pg';
import { CLOSE_TIMEOUT_MS, settlesWithin } from './settle';
import { sleep } from '../util';

/**
 * Only one relay is active per slot. The active one holds a session-level advisory lock on a dedicated
 * connection; others wait as hot standbys, polling for it. When the active relay dies its connection drops,
 * PostgreSQL releases the lock, and a standby takes over within one poll interval.
 */
export const TRY_LOCK_SQL = `select pg_try_advisory_lock(hashtextextended('tributary.relay:' || $1, 0)) as locked,
  pg_backend_pid() as pid`;

export interface RelayLock {
  /**
   * Aborted when the lock's connection fails (PostgreSQL restarted, the network dropped it): the server has
   * released the lock, so this relay must stop streaming and compete for it again.
   */
  lost: AbortSignal;
  /** The server process of the lock's connection: while it holds an advisory lock, this relay is the active one. */
  backendPid: number;
  release(): Promise<void>;
}

export async function acquireRelayLock(
  pool: Pool,
  slot: string,
  options: { pollMs: number; signal: AbortSignal; onWait: () => void },
): Promise<RelayLock | undefined> {
  let waited = false;
  while (!options.signal.aborted) {
    let client: PoolClient | undefined;
    try {
      client = await pool.connect();
      const { rows } = await client.query<{ locked: boolean; pid: number }>(TRY_LOCK_SQL, [slot]);
      if (rows[0]?.locked) {
        const held = client;
        const lost = new AbortController();
        held.on('error', () => lost.abort());
        held.on('end', () => lost.abort());
        return {
          lost: lost.signal,
          backendPid: rows[0].pid,
          async release() {
            // Ending the session releases the lock even if the unlock below fails.
            // Bounded: on a connection that died without a reset the query would never return.
            await settlesWithin(held.query(`select pg_advisory_unlock_all()`), CLOSE_TIMEOUT_MS);
            held.release(true);
          },
        };
      }
      client.release();
    } catch {
      client?.release(true);
    }
    if (!waited) {
      options.onWait();
      waited = true;
    }
    await sleep(options.pollMs, options.signal);
  }
  return undefined;
}
