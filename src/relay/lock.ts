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

/** The one logger method the lock uses (a pino logger is one). */
export interface WarnLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface RelayLockOptions {
  pollMs: number;
  signal: AbortSignal;
  /** Called once, when another relay holds the lock and this one starts waiting as a hot standby. */
  onWait: () => void;
  /**
   * Where a failure to connect or to try the lock goes (at warn). Without it a wrong database name or an
   * unreachable server would look like a standby waiting forever.
   */
  logger: WarnLogger;
}

/** Polls for the lock until it is held (resolves with it) or `signal` aborts (resolves with undefined). */
export async function acquireRelayLock(
  pool: Pool,
  slot: string,
  options: RelayLockOptions,
): Promise<RelayLock | undefined> {
  let waited = false;
  const failures = new FailureLog(options.logger, { slot });
  while (!options.signal.aborted) {
    const attempt = await tryLock(pool, slot);
    if (attempt.outcome === 'held') return attempt.lock;
    if (attempt.outcome === 'failed') {
      failures.report(attempt.error);
    } else {
      failures.clear();
      if (!waited) options.onWait();
      waited = true;
    }
    await sleep(options.pollMs, options.signal);
  }
  return undefined;
}

type Attempt =
  | { outcome: 'held'; lock: RelayLock }
  | { outcome: 'taken' } // another relay holds it
  | { outcome: 'failed'; error: unknown };

/** One try: the lock, word that another relay holds it, or the error that kept it from asking. */
async function tryLock(pool: Pool, slot: string): Promise<Attempt> {
  let client: PoolClient | undefined;
  try {
    client = await pool.connect();
    const { rows } = await client.query<{ locked: boolean; pid: number }>(TRY_LOCK_SQL, [slot]);
    if (rows[0]?.locked) return { outcome: 'held', lock: heldLock(client, rows[0].pid) };
    client.release();
    return { outcome: 'taken' };
  } catch (error) {
    // A connection that failed mid-query is not returned to the pool for reuse.
    client?.release(true);
    return { outcome: 'failed', error };
  }
}

function heldLock(held: PoolClient, backendPid: number): RelayLock {
  const lost = new AbortController();
  held.on('error', () => lost.abort());
  held.on('end', () => lost.abort());
  return {
    lost: lost.signal,
    backendPid,
    async release() {
      // Ending the session releases the lock even if the unlock below fails.
      // Bounded: on a connection that died without a reset the query would never return.
      await settlesWithin(held.query(`select pg_advisory_unlock_all()`), CLOSE_TIMEOUT_MS);
      held.release(true);
    },
  };
}

/**
 * Logs a failure that repeats on every poll once per distinct message: enough to say what is wrong (a wrong
 * database, a refused connection) without a line per poll. After a success, the same failure is news again.
 */
export class FailureLog {
  private lastMessage: string | undefined;

  constructor(
    private readonly logger: WarnLogger,
    private readonly context: Record<string, unknown>,
  ) {}

  report(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (message === this.lastMessage) return;
    this.lastMessage = message;
    const code = (error as { code?: unknown } | null | undefined)?.code;
    this.logger.warn(
      { ...this.context, err: message, ...(code === undefined ? {} : { code }) },
      'could not connect to PostgreSQL or try the relay lock; retrying',
    );
  }

  clear(): void {
    this.lastMessage = undefined;
  }
}
