import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { Client } from 'pg';
import type { Config } from '../src/config';
import { readRowsAfter, keyOf } from '../src/crud/backfill-rows';
import { Customer } from '../src/crud/example/customer.entity';
import { createDataSource } from '../src/db/data-source';
import { benchConfig, freshDatabase } from './lib/db';
import { collectFacts, factsMarkdown } from './lib/facts';
import { int, table } from './lib/markdown';
import { givenOptions, numberOption } from './lib/options';

/**
 * The backfill (`tributary crud backfill`) on 1,000,000 rows of the example entity, as a real process: killed
 * with SIGKILL when its checkpoint passes half of the rows, then run again to the end; then the end state is
 * checked by SQL (exactly one import event and one outbox entry per row), and a second pass (which finds every
 * stream there and imports nothing) is timed. Baselines of the same run: a plain keyset scan of the table with
 * node-postgres, and the same scan through TypeORM (the backfill's read path, entities built), chunk for chunk.
 *
 *   npx tsx bench/backfill.ts [--rows=1000000] [--chunk-size=1000] [--kill-at=0.5]
 */

const DATABASE = 'bench_backfill';
const ROOT = resolve(__dirname, '..');
const rows = numberOption('rows', 'BENCH_ROWS', 1_000_000);
const chunkSize = numberOption('chunk-size', 'BENCH_CHUNK_SIZE', 1000);
const killAt = numberOption('kill-at', 'BENCH_KILL_AT', 0.5);
const log = (line: string) => process.stderr.write(`[bench:backfill] ${line}\n`);

async function seed(db: Client): Promise<void> {
  const batch = 100_000;
  for (let from = 1; from <= rows; from += batch) {
    await db.query(
      `insert into crud_customers (id, name, email, tier)
       select gen_random_uuid(), 'seed-' || g, 'seed-' || g || '@example.com', 'standard'
       from generate_series($1::int, $2::int) g`,
      [from, Math.min(rows, from + batch - 1)],
    );
  }
  await db.query('vacuum analyze crud_customers');
}

/** Rows per second of a keyset scan, chunk for chunk as the backfill reads: node-postgres alone. */
async function rawScan(db: Client): Promise<number> {
  const started = performance.now();
  let last: string | null = null;
  let seen = 0;
  for (;;) {
    const result: { rows: { id: string }[] } = await db.query<{ id: string }>(
      `select id, name, email, tier, updated_at from crud_customers
       where ($1::uuid is null or id > $1::uuid) order by id limit $2`,
      [last, chunkSize],
    );
    const page = result.rows;
    seen += page.length;
    if (page.length < chunkSize) break;
    last = page[page.length - 1]!.id;
  }
  return (seen * 1000) / (performance.now() - started);
}

/** The same scan through TypeORM's QueryBuilder with entities built: the backfill's own read path. */
async function typeormScan(config: Config): Promise<number> {
  const dataSource = createDataSource(config, [Customer]);
  await dataSource.initialize();
  const metadata = dataSource.getMetadata(Customer);
  const started = performance.now();
  let after: unknown[] | null = null;
  let seen = 0;
  for (;;) {
    const page = await readRowsAfter(dataSource.manager, metadata, after, chunkSize);
    seen += page.length;
    if (page.length < chunkSize) break;
    after = keyOf(metadata, page[page.length - 1]!);
  }
  await dataSource.destroy();
  return (seen * 1000) / (performance.now() - started);
}

interface Run {
  wallMs: number;
  stdout: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs the CLI; with `killWhen`, SIGKILLs it as soon as `killWhen()` says so (polled every 20 ms). */
function runBackfill(config: Config, killWhen?: () => Promise<boolean>): Promise<Run> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'crud',
      'backfill',
      'Customer',
      '--config',
      'bench/lib/backfill.config.ts',
      `--chunk-size=${chunkSize}`,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: config.databaseUrl },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    process.stderr.write(chunk);
  });
  let polling = killWhen !== undefined;
  const poll = async () => {
    while (polling) {
      if (await killWhen!()) {
        child.kill('SIGKILL');
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  void poll();
  return new Promise((done) =>
    child.on('exit', (code, signal) => {
      polling = false;
      done({ wallMs: performance.now() - started, stdout, code, signal });
    }),
  );
}

const count = async (db: Client, sql: string) => Number((await db.query<{ n: string }>(sql)).rows[0]!.n);

const checkpoint = async (db: Client) =>
  (
    await db.query<{ rows_seen: string; rows_imported: string }>(
      `select rows_seen, rows_imported from backfill_checkpoints where entity = 'Customer'`,
    )
  ).rows[0];

/** The rate a run reported in its summary line (rows this run handled per second, start-up excluded). */
const reportedRate = (run: Run) =>
  Number(/([\d,]+) rows\/s(, resumed|$)/m.exec(run.stdout)?.[1]?.replace(/,/g, '') ?? NaN);

async function main(): Promise<void> {
  const config = benchConfig(DATABASE);
  await freshDatabase(config);
  const facts = await collectFacts(config, [
    ['rows', int(rows)],
    ['chunk size', int(chunkSize)],
  ]);
  const db = new Client({ connectionString: config.databaseUrl });
  await db.connect();
  log(`seeding ${int(rows)} rows`);
  await seed(db);
  log('baselines: keyset scans');
  const raw = await rawScan(db);
  const typeorm = await typeormScan(config);
  log(`raw ${int(raw)} rows/s, typeorm ${int(typeorm)} rows/s; backfill, SIGKILL at ${killAt * 100}%`);
  const killed = await runBackfill(
    config,
    async () => Number((await checkpoint(db))?.rows_seen ?? 0) >= rows * killAt,
  );
  const atKill = (await checkpoint(db))!;
  const eventsAtKill = await count(db, 'select count(*) as n from events');
  const resumed = await runBackfill(config);
  const oneEach = await count(
    db,
    `select count(*) as n from (select c.id from crud_customers c
      left join events e on e.stream_id = 'customer-' || c.id and e.event_type = 'CustomerImported'
      group by c.id having count(e.event_id) <> 1) wrong`,
  );
  const events = await count(db, 'select count(*) as n from events');
  const outbox = await count(db, 'select count(*) as n from outbox');
  log('second pass (every stream there)');
  const again = await runBackfill(config);
  const eventsAfter = await count(db, 'select count(*) as n from events');
  await db.end();
  const seenAtKill = Number(atKill.rows_seen);
  const overall = (rows * 1000) / (killed.wallMs + resumed.wallMs);
  process.stdout.write(
    [
      `## Backfill: ${int(rows)} rows, SIGKILL at ${int(seenAtKill)} and resumed`,
      '',
      `Command: \`npx tsx bench/backfill.ts ${givenOptions().join(' ')}\`; load average at the end ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' / ')}`,
      '',
      table(
        ['measure', 'value'],
        [
          ['baseline: keyset scan, node-postgres', `${int(raw)} rows/s`],
          ['baseline: keyset scan, TypeORM entities (the backfill read path)', `${int(typeorm)} rows/s`],
          [
            'first run (killed): wall time, rows checkpointed',
            `${(killed.wallMs / 1000).toFixed(1)} s, ${int(seenAtKill)} rows (${killed.signal ?? killed.code})`,
          ],
          [
            'events at the kill = checkpoint imports',
            `${int(eventsAtKill)} = ${int(Number(atKill.rows_imported))}`,
          ],
          [
            'resumed run: wall time, reported rate',
            `${(resumed.wallMs / 1000).toFixed(1)} s, ${int(reportedRate(resumed))} rows/s (exit ${resumed.code})`,
          ],
          ['both runs: rows / wall time (process start-ups included)', `${int(overall)} rows/s`],
          ['rows without exactly one import event', int(oneEach)],
          ['events, outbox entries', `${int(events)}, ${int(outbox)}`],
          [
            'second pass (imports nothing): wall time, reported rate',
            `${(again.wallMs / 1000).toFixed(1)} s, ${int(reportedRate(again))} rows/s; events after ${int(eventsAfter)}`,
          ],
        ],
      ),
      '',
      factsMarkdown(facts),
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
