import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { isolate, Isolated } from '../../test/harness';

describe('the stack PostgreSQL', () => {
  let env: Isolated;
  beforeAll(async () => {
    env = await isolate(__filename);
  });
  afterAll(() => env.cleanup());

  it('runs with wal_level=logical and room for at least 10 replication slots and WAL senders', async () => {
    const pg = await env.pg();
    const { rows } = await pg.query<{ name: string; setting: string }>(
      `select name, setting from pg_settings where name in ('wal_level', 'max_replication_slots', 'max_wal_senders')`,
    );
    const settings = Object.fromEntries(rows.map((row) => [row.name, row.setting]));
    expect(settings.wal_level).toBe('logical');
    expect(Number(settings.max_replication_slots)).toBeGreaterThanOrEqual(10);
    expect(Number(settings.max_wal_senders)).toBeGreaterThanOrEqual(10);
  });

  it('caps the WAL a slot may pin, and does not zero-fill new WAL segments while commits wait', async () => {
    const pg = await env.pg();
    const { rows } = await pg.query<{ name: string; setting: string; unit: string | null }>(
      `select name, setting, unit from pg_settings where name in ('max_slot_wal_keep_size', 'wal_init_zero')`,
    );
    const settings = Object.fromEntries(rows.map((row) => [row.name, `${row.setting}${row.unit ?? ''}`]));
    expect(settings).toEqual({ max_slot_wal_keep_size: '4096MB', wal_init_zero: 'off' });
  });

  it('lets a logical replication slot be created and decodes a committed insert through it', async () => {
    const pg = await env.pg();
    const slot = `${env.name}_slot`;
    await pg.query('create table probe (id int primary key, note text)');
    await pg.query(`select pg_create_logical_replication_slot($1, 'test_decoding')`, [slot]);
    try {
      await pg.query(`insert into probe values (1, 'committed')`);
      const { rows } = await pg.query<{ data: string }>(
        'select data from pg_logical_slot_get_changes($1, null, null)',
        [slot],
      );
      expect(rows.map((row) => row.data)).toEqual(
        expect.arrayContaining([
          expect.stringContaining(`table public.probe: INSERT: id[integer]:1 note[text]:'committed'`),
        ]),
      );
    } finally {
      await pg.query('select pg_drop_replication_slot($1)', [slot]);
    }
  });

  it('lets a pgoutput slot be created (the plugin the relay uses)', async () => {
    const pg = await env.pg();
    const slot = `${env.name}_pgoutput`;
    await pg.query(`select pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    try {
      const { rows } = await pg.query<{ plugin: string }>(
        'select plugin from pg_replication_slots where slot_name = $1',
        [slot],
      );
      expect(rows[0]?.plugin).toBe('pgoutput');
    } finally {
      await pg.query('select pg_drop_replication_slot($1)', [slot]);
    }
  });
});

describe('the stack PostgreSQL asks for passwords', () => {
  let env: Isolated;
  beforeAll(async () => {
    env = await isolate(`${__filename}-passwords`);
  });
  afterAll(() => env.cleanup());

  /** The SQLSTATE of a login as `postgres` with `password` (undefined: it succeeded). */
  async function loginAs(password: string): Promise<string | undefined> {
    const url = new URL(env.config.databaseUrl);
    url.password = password;
    const client = new Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 });
    try {
      await client.connect();
      return undefined;
    } catch (error) {
      return (error as { code?: string }).code ?? (error as Error).message;
    } finally {
      await client.end().catch(() => undefined); // a client that never connected may fail to end
    }
  }

  it('refuses the superuser without its password or with a wrong one (28P01), and takes the generated one', async () => {
    expect(env.config.databasePasswordFile).not.toBe('');
    const generated = readFileSync(env.config.databasePasswordFile, 'utf8').trim();
    expect(generated.length).toBeGreaterThanOrEqual(24);
    expect(await loginAs('wrong')).toBe('28P01');
    expect(await loginAs('')).toMatch(/28P01|password/);
    expect(await loginAs(generated)).toBeUndefined();
    // The configuration took the password from the file: DATABASE_URL itself names none.
    expect(new URL(env.config.databaseUrl).password).toBe(encodeURIComponent(generated));
  });

  it('keeps its secrets in files of mode 0600, in a folder of mode 0700', () => {
    const dir = dirname(env.config.databasePasswordFile);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const file of readdirSync(dir).filter((name) => /password|\.key$/.test(name))) {
      expect({ file, mode: statSync(join(dir, file)).mode & 0o777 }).toEqual({ file, mode: 0o600 });
    }
  });
});
