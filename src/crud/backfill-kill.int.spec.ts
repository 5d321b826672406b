import type { Client } from 'pg';
import { isolate, Isolated } from '../../test/harness';
import {
  BACKFILL_CONFIG,
  checkpointOf,
  rowsWithoutOneImport,
  seedCustomers,
  spawnBackfill,
} from '../../test/fixtures/backfill';
import { eventually } from '../../test/fixtures/relay';
import { migrate } from '../db/data-source';
import { Customer } from './example/customer.entity';

/**
 * `tributary crud backfill` as a real process, killed with SIGKILL half-way through 20,000 rows (no chance to
 * clean up: the chunk in flight is rolled back by PostgreSQL), then run again: it resumes from the checkpoint
 * and the end state has exactly one import event per row, checked by SQL on the events table.
 */

const ROWS = 20_000;
let env: Isolated;
let db: Client;

beforeAll(async () => {
  env = await isolate(__filename);
  await migrate(env.config, [Customer]);
  db = await env.pg();
  await seedCustomers(db, ROWS);
});

afterAll(async () => {
  await env?.cleanup();
});

const count = async (sql: string) => (await db.query<{ n: number }>(sql)).rows[0]!.n;

test('killed with SIGKILL half-way, the backfill resumes from its checkpoint and ends with exactly one import per row', async () => {
  const first = spawnBackfill(env.config.databaseUrl, [
    'Customer',
    '--config',
    BACKFILL_CONFIG,
    '--chunk-size',
    '200',
  ]);
  await eventually(
    'the backfill half-way',
    async () => ((await checkpointOf(db))?.rows_seen ?? 0) >= ROWS / 2,
    60_000,
    5,
  );
  process.kill(first.pid, 'SIGKILL');
  expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });

  const atKill = (await checkpointOf(db))!;
  expect(atKill.finished).toBe(false);
  expect(atKill.rows_seen).toBeLessThan(ROWS);
  // The checkpoint and the imports commit together: what it says was imported is exactly what is there.
  expect(await count('select count(*)::int as n from events')).toBe(atKill.rows_imported);
  expect(await count('select count(*)::int as n from streams')).toBe(atKill.rows_imported);

  const resumed = spawnBackfill(env.config.databaseUrl, [
    'Customer',
    '--config',
    BACKFILL_CONFIG,
    '--chunk-size',
    '200',
  ]);
  expect(await resumed.exited).toEqual({ code: 0, signal: null });
  expect(resumed.stdout()).toContain(`resumed after row ${atKill.rows_seen.toLocaleString('en-US')}`);
  expect(await checkpointOf(db)).toEqual({ rows_seen: ROWS, rows_imported: ROWS, finished: true });
  expect(await rowsWithoutOneImport(db)).toEqual([]);
  expect(await count('select count(*)::int as n from events')).toBe(ROWS);
  expect(await count(`select count(*)::int as n from events where event_type = 'CustomerImported'`)).toBe(
    ROWS,
  );
  expect(await count('select count(*)::int as n from outbox')).toBe(ROWS);
  expect(
    await count(
      'select count(*)::int as n from (select stream_id from events group by stream_id having count(*) > 1) s',
    ),
  ).toBe(0);
}, 120_000);
