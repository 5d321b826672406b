import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { TributaryError } from '../src/errors';
import { createReportingProjection } from '../src/projections/reporting';
import type { ProjectionEvent } from '../src/projections/types';
import { randomOrderHistory } from '../test/fixtures/projection-events';
import { seededRandom } from '../test/fixtures/random';
import { watchCpu, type CpuReport } from './lib/cpu';
import { benchConfig, checkpoint, freshDatabase, openBackendLister } from './lib/db';
import { collectFacts, factsMarkdown } from './lib/facts';
import { int, ms, pct, table } from './lib/markdown';
import { givenOptions, numberOption } from './lib/options';
import { summarize, type Summary } from './lib/stats';

/**
 * The reporting projector's apply rate: does it apply at least 10,000 events/s? Realistic order histories
 * (the decider's events with the state they carry: created, lines changed, confirmed or cancelled) are
 * delivered as Kafka would, per order in order with `--open` orders in flight at once, in batches of
 * `--batch` events, each batch one `apply` (one transaction). With `--partitions=N` the events are spread
 * over N partitions by order id and the partitions apply at the same time (PROJECTOR_PARTITIONS_CONCURRENCY).
 * Then the same events are delivered again (a full redelivery: every id already applied), which must
 * change nothing.
 *
 *   npx tsx bench/reporting.ts [--events=200000] [--batch=1000] [--partitions=1] [--open=2000] [--seed=1]
 */

const DATABASE = 'bench_reporting';
const TARGET_EVENTS_PER_S = 10_000;

const eventCount = numberOption('events', 'BENCH_EVENTS', 200_000);
const batchSize = numberOption('batch', 'BENCH_BATCH', 1000);
const partitions = Math.max(1, numberOption('partitions', 'BENCH_PARTITIONS', 1));
const openOrders = numberOption('open', 'BENCH_OPEN_ORDERS', 2000);
const seed = numberOption('seed', 'BENCH_SEED', 1);

const log = (line: string) => process.stderr.write(`[bench:reporting] ${line}\n`);

/**
 * At least `count` events of whole order histories, interleaved with `open` orders in flight: each next
 * event comes from a random open order, whose place is taken by a new order when its history ends.
 */
function deliveries(
  random: () => number,
  count: number,
  open: number,
): { events: ProjectionEvent[]; orders: number } {
  const events: ProjectionEvent[] = [];
  const queues: ProjectionEvent[][] = [];
  let made = 0;
  let orders = 0;
  const next = () => {
    const history = randomOrderHistory(random);
    made += history.length;
    orders++;
    return history;
  };
  while (queues.length < open && made < count) queues.push(next());
  while (queues.length > 0) {
    const i = Math.floor(random() * queues.length);
    events.push(queues[i]!.shift()!);
    if (queues[i]!.length > 0) continue;
    if (made < count) queues[i] = next();
    else queues.splice(i, 1);
  }
  return { events, orders };
}

interface Phase {
  name: string;
  events: number;
  seconds: number;
  batch: Summary;
  /** Batches applied again after a retriable error (a deadlock between partitions, say). */
  retries: number;
  cpu: CpuReport;
}

/** Kafka's partitioning: by a hash of the key (the order id), so an order's events stay in order. */
function partitionOf(orderId: string): number {
  return createHash('md5').update(orderId).digest().readUInt32BE(0) % partitions;
}

async function deliver(
  name: string,
  pool: Pool,
  events: ProjectionEvent[],
  serverPids: () => Promise<number[]>,
): Promise<Phase> {
  const projection = createReportingProjection({ pool });
  const streams: ProjectionEvent[][] = Array.from({ length: partitions }, () => []);
  for (const event of events) streams[partitionOf(event.aggregateId)]!.push(event);
  const samples: number[] = [];
  let retries = 0;
  let applied = 0;
  const cpu = watchCpu({ serverPids });
  const started = performance.now();
  await Promise.all(
    streams.map(async (stream) => {
      for (let i = 0; i < stream.length; i += batchSize) {
        const batch = stream.slice(i, i + batchSize);
        const t = performance.now();
        for (;;) {
          try {
            await projection.apply(batch);
            break;
          } catch (error) {
            if (!(error instanceof TributaryError) || !error.retriable) throw error;
            retries++;
          }
        }
        samples.push(performance.now() - t);
        applied += batch.length;
        if (samples.length % 50 === 0) log(`${name}: ${int(applied)} events`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { name, events: events.length, seconds, batch: summarize(samples), retries, cpu: await cpu.stop() };
}

/** Rows a clean delivery must have made: one contribution per order, every order counted once by day. */
async function check(pool: Pool, orders: number): Promise<string> {
  const { rows } = await pool.query<{ contributions: string; daily: string; applied: string }>(
    `select (select count(*) from report_order_contributions)::text as contributions,
            (select coalesce(sum(orders), 0) from report_daily)::text as daily,
            (select count(*) from projection_applied_events)::text as applied`,
  );
  const row = rows[0]!;
  const ok = Number(row.contributions) === orders && Number(row.daily) === orders;
  return `${ok ? 'ok' : 'MISMATCH'}: ${int(Number(row.contributions))} contributions and ${int(Number(row.daily))} orders in report_daily for ${int(orders)} orders; ${int(Number(row.applied))} applied ids`;
}

async function main(): Promise<void> {
  const config = benchConfig(DATABASE);
  await freshDatabase(config);
  log(`generating ${int(eventCount)} events`);
  const { events, orders } = deliveries(seededRandom(seed), eventCount, openOrders);
  const pool = new Pool({ connectionString: config.databaseUrl, max: partitions + 1 });
  const backends = await openBackendLister(config);
  const facts = await collectFacts(config, [
    [
      'bench',
      `reporting: ${int(events.length)} events of ${int(orders)} orders, batches of ${int(batchSize)}, ${partitions} partition(s) at once, ${int(openOrders)} orders in flight, seed ${seed}`,
    ],
  ]);
  const phases: Phase[] = [];
  let checked = '';
  try {
    await checkpoint(config);
    phases.push(await deliver('first delivery', pool, events, backends.list));
    checked = await check(pool, orders);
    phases.push(await deliver('redelivery (all duplicates)', pool, events, backends.list));
    const again = await check(pool, orders);
    if (again !== checked) checked += `; after the redelivery: ${again}`;
  } finally {
    await backends.close();
    await pool.end();
  }

  const rate = (p: Phase) => p.events / p.seconds;
  const first = phases[0]!;
  const command = ['npx tsx bench/reporting.ts', ...givenOptions()].join(' ');
  process.stdout.write(
    [
      `### Reporting projector: apply rate`,
      '',
      `Reproduce: \`${command}\``,
      '',
      factsMarkdown(facts),
      '',
      `One projector applies the events, ${int(batchSize)} per \`apply\` (one transaction: applied ids, ` +
        `contributions, report deltas), as the runtime hands over a Kafka batch, ${partitions} partition(s) at ` +
        `once. Events are realistic order histories from the decider, ${int(openOrders)} orders in flight at ` +
        `once. Batch latency is per \`apply\` (retries included).`,
      '',
      table(
        [
          'phase',
          'events',
          'seconds',
          'events/s',
          'batch p50 / p99 ms',
          'machine busy',
          'client cores',
          'server cores',
        ],
        phases.map((p) => [
          p.name,
          int(p.events),
          p.seconds.toFixed(1),
          int(rate(p)),
          `${ms(p.batch.p50)} / ${ms(p.batch.p99)}`,
          int(p.retries),
          pct(p.cpu.machineBusy),
          p.cpu.clientCores.toFixed(2),
          p.cpu.serverCores.toFixed(2),
        ]),
      ),
      '',
      `Check: ${checked}`,
      '',
      table(
        ['target', 'measured', 'result'],
        [
          [
            `≥ ${int(TARGET_EVENTS_PER_S)} events/s`,
            `${int(rate(first))} events/s (first delivery)`,
            rate(first) >= TARGET_EVENTS_PER_S ? 'met' : 'NOT met',
          ],
        ],
      ),
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
