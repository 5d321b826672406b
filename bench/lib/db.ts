import { Client } from 'pg';
import { Config, loadConfig } from '../../src/config';
import { migrate } from '../../src/db/data-source';

/**
 * Each bench owns one database, `bench_<name>`, on the PostgreSQL that DATABASE_URL points at (the local
 * stack by default). It is re-created and migrated at the start of a run so every run starts from the same
 * empty schema, and left in place afterwards for inspection; nothing else is touched.
 */

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Refuses anything but a loopback PostgreSQL: benches generate load and must never aim it elsewhere. */
export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!LOOPBACK.has(host)) throw new Error(`benches only run against 127.0.0.1, not ${host}`);
}

/** The configuration of a bench: the project's settings with DATABASE_URL moved to `database`. */
export function benchConfig(database: string, overrides: Record<string, string> = {}): Config {
  const base = loadConfig(process.env);
  assertLoopback(base.databaseUrl);
  const url = new URL(base.databaseUrl);
  url.pathname = `/${database}`;
  return loadConfig({ ...process.env, ...overrides, DATABASE_URL: url.toString() });
}

async function withAdmin<T>(config: Config, work: (admin: Client) => Promise<T>): Promise<T> {
  const url = new URL(config.databaseUrl);
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/** Drops (if present), creates and migrates the bench database, then returns the migrations that ran. */
export async function freshDatabase(config: Config): Promise<string[]> {
  const name = new URL(config.databaseUrl).pathname.slice(1);
  if (!/^bench_[a-z0-9_]+$/.test(name)) throw new Error(`refusing to re-create database ${name}`);
  await withAdmin(config, async (admin) => {
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.query(`create database "${name}"`);
  });
  return migrate(config);
}

/** The server's version string and the settings that shape write performance. */
export async function serverFacts(config: Config): Promise<Record<string, string>> {
  return withAdmin(config, async (admin) => {
    const { rows } = await admin.query<{ name: string; setting: string; unit: string | null }>(
      `select name, setting, unit from pg_settings
       where name in ('server_version', 'fsync', 'synchronous_commit', 'wal_level', 'shared_buffers',
                      'max_wal_size', 'commit_delay', 'full_page_writes', 'wal_compression',
                      'wal_init_zero', 'wal_recycle')
       order by name`,
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.unit ? `${r.setting} (${r.unit})` : r.setting]));
  });
}

/**
 * The replication slots no one reads, with the WAL each pins: while one exists, PostgreSQL cannot recycle WAL
 * segments and creates each one new (zero-filled unless wal_init_zero=off), which shows in commit latency.
 */
export async function inactiveSlots(config: Config): Promise<string> {
  return withAdmin(config, async (admin) => {
    const { rows } = await admin.query<{ slot: string }>(
      `select format('%s (%s of WAL)', slot_name,
                     coalesce(pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)), 'no')) as slot
         from pg_replication_slots where not active order by slot_name`,
    );
    return rows.length === 0 ? 'none' : rows.map((r) => r.slot).join(', ');
  });
}

/** Lists the backend pids connected to the bench database (for CPU accounting of the server side). */
export async function openBackendLister(
  config: Config,
): Promise<{ list(): Promise<number[]>; close(): Promise<void> }> {
  const name = new URL(config.databaseUrl).pathname.slice(1);
  const url = new URL(config.databaseUrl);
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  return {
    async list() {
      const { rows } = await admin.query<{ pid: number }>(
        `select pid from pg_stat_activity where datname = $1 and backend_type = 'client backend'`,
        [name],
      );
      return rows.map((r) => r.pid);
    },
    close: () => admin.end(),
  };
}

/** Asks for a checkpoint, so that one side of a comparison does not inherit the other's dirty buffers. */
export async function checkpoint(config: Config): Promise<void> {
  await withAdmin(config, async (admin) => {
    await admin.query('checkpoint');
  });
}
