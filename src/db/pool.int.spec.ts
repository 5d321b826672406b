import { startTcpProxy, type TcpProxy } from '../../test/fixtures/tcp-proxy';
import { loadConfig } from '../config';
import { isRetriable } from '../errors';
import { withTransaction } from './executor';
import { createPool } from './pool';

const PID_SQL = `select pg_backend_pid() as pid`;

/**
 * A connection that dies without a reset reaching this end (a network partition) never answers again. With a
 * query timeout the pool's query fails as retriable and the dead connection is discarded, so the next query
 * gets a new one. Real PostgreSQL behind a TCP proxy that stalls the connection.
 */
describe('a pool with a query timeout', () => {
  let proxy: TcpProxy;
  let url: string;
  beforeAll(async () => {
    const target = new URL(loadConfig(process.env).databaseUrl);
    proxy = await startTcpProxy(target.hostname, Number(target.port));
    target.host = proxy.address;
    url = target.toString();
  });
  afterAll(() => proxy.close());

  it('fails a query on a connection that went silent as retriable, then serves the next one on a new connection', async () => {
    const connectionErrors: Error[] = [];
    const pool = createPool(url, 1, (error) => connectionErrors.push(error), { queryTimeoutMs: 500 });
    try {
      const pid = async () =>
        (await pool.query<{ pid: number }>(`select pg_backend_pid() as pid`)).rows[0]!.pid;
      const first = await pid();
      expect(proxy.stall()).toBe(1);

      const started = Date.now();
      const failure = await pid().then(
        () => undefined,
        (error: unknown) => error,
      );
      const waitedMs = Date.now() - started;
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toMatch(/^Query read timeout/);
      expect(isRetriable(failure)).toBe(true);
      expect(waitedMs).toBeGreaterThanOrEqual(450);
      expect(waitedMs).toBeLessThan(5_000);

      const second = await pid();
      expect(second).not.toBe(first);
      expect(pool.totalCount).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it('a transaction whose connection went silent does not hand that connection to the next transaction', async () => {
    const pool = createPool(url, 1, () => undefined, { queryTimeoutMs: 500 });
    try {
      const pid = () =>
        withTransaction(pool, async (executor) => (await executor.query<{ pid: number }>(PID_SQL))[0]!.pid);
      const first = await pid();
      expect(proxy.stall()).toBe(1);
      // The next statement on the silent connection times out; that connection must not be reused.
      await expect(pid()).rejects.toThrow(/Query read timeout/);
      const second = await pid();
      expect(second).not.toBe(first);
    } finally {
      await pool.end();
    }
  });
});

describe("a pool's session settings", () => {
  const base = loadConfig(process.env).databaseUrl;
  const settingsOf = async (url: string) => {
    const pool = createPool(url, 1, () => undefined);
    try {
      return (
        await pool.query<{ plan_cache_mode: string; work_mem: string }>(
          `select current_setting('plan_cache_mode') as plan_cache_mode, current_setting('work_mem') as work_mem`,
        )
      ).rows[0]!;
    } finally {
      await pool.end();
    }
  };

  it('plans each prepared statement once per connection (generic plans)', async () => {
    expect((await settingsOf(base)).plan_cache_mode).toBe('force_generic_plan');
  });

  it("keeps the connection string's own options, which win over Tributary's", async () => {
    const url = new URL(base);
    url.searchParams.set('options', '-c work_mem=7MB -c plan_cache_mode=auto');
    expect(await settingsOf(url.toString())).toEqual({ plan_cache_mode: 'auto', work_mem: '7MB' });
  });
});

describe('a pool with a statement timeout (the API pool)', () => {
  it('sets statement_timeout on every session, and a statement over it fails as retriable', async () => {
    const pool = createPool(loadConfig(process.env).databaseUrl, 2, () => undefined, {
      statementTimeoutMs: 300,
    });
    try {
      const { rows } = await pool.query<{ statement_timeout: string }>('show statement_timeout');
      expect(rows[0]!.statement_timeout).toBe('300ms');
      const failure = await pool.query('select pg_sleep(2)').then(
        () => undefined,
        (error: unknown) => error,
      );
      expect((failure as { code?: string }).code).toBe('57014');
      expect(isRetriable(failure)).toBe(true);
    } finally {
      await pool.end();
    }
  });
});
