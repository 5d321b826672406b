import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { loadConfig } from '../config';
import { memoryLogger } from '../../test/fixtures/relay';
import { acquireRelayLock } from './lock';

/**
 * The relay lock against the real PostgreSQL: a relay that cannot reach the database says why (once, not on
 * every poll) instead of looking like a hot standby waiting forever; a real standby waits quietly.
 */
describe('the relay lock', () => {
  const base = loadConfig(process.env);
  const slot = `lock_${randomBytes(4).toString('hex')}`;
  const pools: Pool[] = [];
  const poolFor = (connectionString: string) => {
    const pool = new Pool({ connectionString, max: 2, connectionTimeoutMillis: 2_000 });
    pool.on('error', () => undefined); // an idle connection dropping is not what these tests are about
    pools.push(pool);
    return pool;
  };
  const urlWith = (change: (url: URL) => void) => {
    const url = new URL(base.databaseUrl);
    change(url);
    return url.toString();
  };

  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
  });

  /** Polls for the lock every 20 ms for `forMs`, then stops; returns what it logged and whether it waited. */
  async function pollFor(pool: Pool, forMs: number) {
    const { logger, lines } = memoryLogger();
    let waits = 0;
    const lock = await acquireRelayLock(pool, slot, {
      pollMs: 20,
      signal: AbortSignal.timeout(forMs),
      onWait: () => waits++,
      logger,
    });
    const warnings = lines.filter((line) => line.level === 40);
    return { lock, waits, warnings };
  }

  it('a database that does not exist is logged once with its SQLSTATE, not taken for a standby wait', async () => {
    const missing = `no_such_db_${randomBytes(4).toString('hex')}`;
    const { lock, waits, warnings } = await pollFor(
      poolFor(urlWith((url) => (url.pathname = `/${missing}`))),
      600,
    );
    expect(lock).toBeUndefined();
    expect(waits).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      msg: 'could not connect to PostgreSQL or try the relay lock; retrying',
      code: '3D000',
      slot,
    });
    expect(String(warnings[0]!.err)).toContain(missing);
  });

  it('a port nobody listens on is logged once with its errno code', async () => {
    const { lock, waits, warnings } = await pollFor(poolFor(urlWith((url) => (url.port = '1'))), 400);
    expect(lock).toBeUndefined();
    expect(waits).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: 'ECONNREFUSED', slot });
  });

  it('a relay whose lock another holds waits as a standby without a warning, and takes it once free', async () => {
    const pool = poolFor(base.databaseUrl);
    const active = await pollFor(pool, 5_000);
    expect(active.lock).toBeDefined();
    const standby = await pollFor(pool, 300);
    expect(standby.lock).toBeUndefined();
    expect(standby.waits).toBe(1);
    expect(standby.warnings).toEqual([]);
    await active.lock!.release();
    const next = await pollFor(pool, 5_000);
    expect(next.lock).toBeDefined();
    expect(next.warnings).toEqual([]);
    await next.lock!.release();
  });
});
