import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { createEventStoreFor, orders, reducerOf } from '../src/commands';
import { pgExecutor } from '../src/db/executor';
import { withSessionOptions } from '../src/db/pool';
import type { OrderCommand } from '../src/domain/orders/commands';
import type { OrderState } from '../src/domain/orders/state';
import { EventStore, writeSnapshot } from '../src/eventstore';
import { READ_STREAM_SQL } from '../src/eventstore/read-stream';
import { benchConfig, checkpoint, freshDatabase } from './lib/db';
import { collectFacts, factsMarkdown } from './lib/facts';
import { int, ms, table } from './lib/markdown';
import { givenOptions, numberListOption, numberOption } from './lib/options';
import { summarize, Summary } from './lib/stats';

/**
 * Loading an aggregate: how `store.load` (snapshot + the events after it, folded by the Order reducer) grows
 * with stream length, with and without snapshots, against the raw read of the same rows as a baseline.
 * Streams are built from real Order events (decided by the Order decider: an order created, then lines
 * added and removed in turn) with a snapshot every `--snapshot-every` events, as the command handler writes
 * them. Each stream length N is also measured at N + snapshot-every − 1 events: the worst case, with the
 * most events after the latest snapshot.
 *
 *   npx tsx bench/load.ts [--lengths=10,100,1000,10000] [--snapshot-every=100] [--loads=200] [--max-seconds=8]
 */

const DATABASE = 'bench_load';
const TARGET_MS = 10;
const TARGET_LENGTH = 10_000;

const lengths = numberListOption('lengths', 'BENCH_LENGTHS', [10, 100, 1000, 10_000]);
const snapshotEvery = numberOption('snapshot-every', 'BENCH_SNAPSHOT_EVERY', 100);
const loads = numberOption('loads', 'BENCH_LOADS', 200);
const maxSeconds = numberOption('max-seconds', 'BENCH_MAX_SECONDS', 8);
const warmups = numberOption('warmups', 'BENCH_WARMUPS', 20);

const log = (line: string) => process.stderr.write(`[bench:load] ${line}\n`);

/** The commands of an order with `length` events: created, then a line added and removed in turn. */
function* orderCommands(orderId: string, length: number): Generator<OrderCommand> {
  const start = Date.parse('2026-01-01T00:00:00Z');
  const at = (i: number) => new Date(start + i * 1000).toISOString();
  yield {
    type: 'CreateOrder',
    orderId,
    customer: { id: 'c-1', name: 'Ada Lovelace', email: 'ada@example.com' },
    lines: [{ sku: 'SKU-1', name: 'Blue widget', quantity: 2, unitPrice: 1250 }],
    currency: 'EUR',
    at: at(0),
  };
  for (let i = 1; i < length; i++) {
    yield i % 2 === 1
      ? {
          type: 'AddOrderLine',
          orderId,
          line: { sku: 'SKU-2', name: 'Red widget', quantity: 1, unitPrice: 990 },
          at: at(i),
        }
      : { type: 'RemoveOrderLine', orderId, sku: 'SKU-2', at: at(i) };
  }
}

/** Writes the stream in appends that end on snapshot boundaries, with a snapshot at each boundary. */
async function buildStream(store: EventStore, orderId: string, length: number): Promise<string> {
  const kind = orders;
  const streamId = kind.streamId(orderId);
  let state: OrderState = kind.decider.initialState();
  let batch: { type: string; schemaVersion: number; data: unknown; occurredAt: string }[] = [];
  let version = 0;
  let maxOccurredAt = '';
  for (const command of orderCommands(orderId, length)) {
    for (const event of kind.decider.decide(command, state)) {
      state = kind.decider.evolve(state, event);
      batch.push({ ...event, occurredAt: command.at });
      maxOccurredAt = command.at;
    }
    const next = version + batch.length;
    if (next % snapshotEvery === 0 || next === length) {
      const expected = version;
      const snapshot = next % snapshotEvery === 0 ? { version: next, state, maxOccurredAt } : undefined;
      const events = batch;
      await store.transaction(async (executor) => {
        await store.append({ streamId, streamType: kind.streamType, expected, events }, { executor });
        if (snapshot) await writeSnapshot(executor, streamId, kind.snapshotVersion, snapshot);
      });
      version = next;
      batch = [];
    }
  }
  return orderId;
}

interface Measured {
  length: number;
  raw: Summary;
  withoutSnapshots: Summary;
  withSnapshots: Summary;
  eventsReadWithSnapshots: number;
}

/** Times `run` `loads` times (or until `maxSeconds`), after warm-up runs. */
async function time(run: () => Promise<unknown>): Promise<Summary> {
  for (let i = 0; i < warmups; i++) await run();
  const samples: number[] = [];
  const deadline = performance.now() + maxSeconds * 1000;
  while (samples.length < loads && (samples.length < 10 || performance.now() < deadline)) {
    const t = performance.now();
    await run();
    samples.push(performance.now() - t);
  }
  return summarize(samples);
}

async function measure(pool: Pool, store: EventStore, length: number): Promise<Measured> {
  const orderId = `load-${length}`;
  const streamId = orders.streamId(orderId);
  const reducer = reducerOf(orders);
  const executor = pgExecutor(pool);
  let eventsRead = 0;
  // The three are interleaved per length, so noise on the machine hits all of them alike.
  const raw = await time(() => executor.query(READ_STREAM_SQL, [streamId, 1, null, null]));
  const withoutSnapshots = await time(() => store.load(streamId, reducer, { useSnapshots: false }));
  const withSnapshots = await time(async () => {
    eventsRead = (await store.load(streamId, reducer, { useSnapshots: true })).eventsRead;
  });
  return { length, raw, withoutSnapshots, withSnapshots, eventsReadWithSnapshots: eventsRead };
}

async function main(): Promise<void> {
  const config = benchConfig(DATABASE);
  await freshDatabase(config);
  const pool = new Pool({ connectionString: withSessionOptions(config.databaseUrl), max: 2 });
  const store = createEventStoreFor(config, pool);
  const facts = await collectFacts(config, [
    ['bench', `load: lengths ${lengths.join(', ')}, snapshot every ${snapshotEvery}, ${loads} loads each`],
  ]);
  const all = [
    ...new Set(lengths.flatMap((n) => (n >= snapshotEvery ? [n, n + snapshotEvery - 1] : [n]))),
  ].sort((a, b) => a - b);
  const results: Measured[] = [];
  try {
    log(`building streams of ${all.join(', ')} events`);
    for (const length of all) await buildStream(store, `load-${length}`, length);
    await pool.query('analyze');
    await checkpoint(config);
    for (const length of all) {
      log(`loading the stream of ${length} events`);
      results.push(await measure(pool, store, length));
    }
  } finally {
    await pool.end();
  }

  const cell = (s: Summary) => `${ms(s.p50)} / ${ms(s.p95)} (${s.count})`;
  const row = (r: Measured) => [
    int(r.length),
    cell(r.raw),
    cell(r.withoutSnapshots),
    cell(r.withSnapshots),
    int(r.eventsReadWithSnapshots),
  ];
  const verdicts = results
    .filter((r) => r.length >= TARGET_LENGTH && r.length < TARGET_LENGTH + snapshotEvery)
    .map((r) => [
      `${int(r.length)} events, snapshots every ${snapshotEvery}: < ${TARGET_MS} ms`,
      `median ${ms(r.withSnapshots.p50)} ms, p95 ${ms(r.withSnapshots.p95)} ms (raw read of all rows: median ${ms(r.raw.p50)} ms)`,
      r.withSnapshots.p95 < TARGET_MS
        ? 'met (p95)'
        : r.withSnapshots.p50 < TARGET_MS
          ? 'met (median only)'
          : 'NOT met',
    ]);
  const command = ['npx tsx bench/load.ts', ...givenOptions()].join(' ');
  process.stdout.write(
    [
      `### Loading an aggregate (Order) by stream length`,
      '',
      `Reproduce: \`${command}\``,
      '',
      factsMarkdown(facts),
      '',
      `Each cell is median / p95 in ms (number of loads): up to ${loads} sequential loads, fewer when a cell would take more than ` +
        `${maxSeconds} s, after ${warmups} warm-up loads. Baseline: the raw \`READ_STREAM_SQL\` of all the stream's rows ` +
        `through node-postgres (no upcasting, no folding). \`store.load\` = \`loadState\` with the Order reducer ` +
        `(\`reducerOf(orders)\`); with snapshots it reads the latest snapshot and the events after it. A length ` +
        `of N + ${snapshotEvery - 1} is the worst case for snapshots (${snapshotEvery - 1} events after the latest one).`,
      '',
      table(
        [
          'events in stream',
          'raw read of all rows',
          'store.load, no snapshots',
          'store.load, snapshots',
          'events folded (snapshots)',
        ],
        results.map(row),
      ),
      '',
      table(['target', 'measured', 'result'], verdicts),
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
