import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import {
  BACKFILL_CONFIG,
  rowsWithoutOneImport,
  seedCustomers,
  spawnBackfill,
} from '../../test/fixtures/backfill';
import { isolate, Isolated } from '../../test/harness';
import { Customer } from '../crud/example/customer.entity';
import { migrate } from '../db/data-source';

/**
 * `tributary crud backfill` as a user runs it: plain progress lines and a summary when stdout is not a
 * terminal, exit 0; and each mistake (unknown entity, bad config path, a config missing exports, an entity
 * without a primary key) as ONE readable line on stderr with exit code 2, nothing written.
 */

let env: Isolated;
let db: Client;

beforeAll(async () => {
  env = await isolate(__filename);
  await migrate(env.config, [Customer]);
  db = await env.pg();
  await seedCustomers(db, 1500);
});

afterAll(async () => {
  await env?.cleanup();
});

async function run(args: string[]) {
  const child = spawnBackfill(env.config.databaseUrl, args);
  const { code } = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

const eventCount = async () =>
  (await db.query<{ n: number }>('select count(*)::int as n from events')).rows[0]!.n;

test.each([
  [
    ['Nope', '--config', BACKFILL_CONFIG],
    "unknown entity 'Nope': the config maps Customer (customer), CustomerEmail (customer-email)",
  ],
  [['Customer', '--config', './nowhere.config.js'], '--config ./nowhere.config.js: no such file'],
  [
    ['CustomerEmail', '--config', BACKFILL_CONFIG],
    'CustomerEmail (table crud_customer_emails) has no primary key',
  ],
  [
    ['Customer', '--config', BACKFILL_CONFIG, '--chunk-size', '0'],
    '--chunk-size takes a whole number from 1 to 50000',
  ],
  [['--config', BACKFILL_CONFIG], 'crud backfill needs an entity'],
])(
  'crud backfill %j fails with one readable line and exit code 2',
  async (args, message) => {
    const { code, stdout, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toEqual([expect.stringContaining(message)]);
    expect(stderr).toMatch(/^tributary: /);
    expect(await eventCount()).toBe(0);
  },
  30_000,
);

test('a config module that does not export what the backfill needs is named in one line', async () => {
  const file = join(tmpdir(), `tributary-backfill-${process.pid}.config.js`);
  writeFileSync(file, 'module.exports = { dataSource: {} };\n');
  const { code, stderr } = await run(['Customer', '--config', file]);
  rmSync(file);
  expect(code).toBe(2);
  expect(stderr.trimEnd().split('\n')).toEqual([
    `tributary: --config ${file} does not export dataSource (a TypeORM DataSource), store (an event store), entities (the subscriber mapping)`,
  ]);
}, 30_000);

test('off a terminal it prints plain progress lines and a summary, imports every row, exit 0', async () => {
  const { code, stdout, stderr } = await run(['customer', '--config', BACKFILL_CONFIG, '--chunk-size=500']);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const lines = stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(
    /^backfill Customer: 500\/1,500 rows \(33%\), 500 imported, 0 skipped, [\d,]+ rows\/s/,
  );
  expect(lines[lines.length - 1]).toMatch(
    /^backfill Customer: done: 1,500 rows, 1,500 imported, 0 skipped \(a stream already there\) in [\d.]+s, [\d,]+ rows\/s$/,
  );
  expect(await rowsWithoutOneImport(db)).toEqual([]);
}, 30_000);
