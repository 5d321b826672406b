import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool, PoolClient } from 'pg';
import type { Config } from '../../src/config';
import { createEventStoreFor } from '../../src/commands';
import { withSessionOptions } from '../../src/db/pool';
import { TributaryError } from '../../src/errors';
import type { ExpectedVersion } from '../../src/eventstore';
import { CpuReport, watchCpu } from './cpu';
import { openBackendLister } from './db';
import { int } from './markdown';
import { BENCH_EVENT_DATA, BENCH_EVENT_TYPE, BENCH_STREAM_TYPE } from './payload';
import { runPgbench } from './pgbench';
import { summarize } from './stats';

/**
 * The sides of the append comparison. Every side writes the same rows (bench/lib/payload.ts) into a fresh
 * database with `clients` concurrent writers for `durationS`, each writer on its own share of the streams.
 *
 *  - `pgbench`: raw PostgreSQL, hand-written SQL (bench/pgbench/append-N.sql), prepared statements. The target.
 *  - `pgbench-extended`: the same script, unnamed statements parsed and planned on every execution, as
 *    node-postgres sends parameterised queries (diagnostic).
 *  - `node-pg`: the same hand-written SQL from Node through node-postgres with named (prepared) statements:
 *    the cost of a Node client without Tributary's code (diagnostic).
 *  - `tributary`: `store.append`, the thing measured.
 */
export const SIDES = ['pgbench', 'pgbench-extended', 'node-pg', 'tributary'] as const;
export type Side = (typeof SIDES)[number];

export interface SideSettings {
  clients: number;
  streamsPerClient: number;
  durationS: number;
  expectedMode: 'tracked' | 'any';
}

export interface SideResult {
  side: Side;
  eventsPerTx: number;
  transactions: number;
  transactionsPerSecond: number;
  eventsPerSecond: number;
  latencyAverageMs: number;
  /** NaN for pgbench, which reports only the average. */
  latencyP99Ms: number;
  errors: number;
  cpu: CpuReport;
  check: string;
}

/** The pgbench script must write the very event Tributary writes, or the comparison means nothing. */
function scriptFor(eventsPerTx: number): string {
  const path = join(__dirname, '..', 'pgbench', `append-${eventsPerTx}.sql`);
  if (!readFileSync(path, 'utf8').includes(`'${JSON.stringify(BENCH_EVENT_DATA)}'`)) {
    throw new Error(`${path} does not carry BENCH_EVENT_DATA of bench/lib/payload.ts`);
  }
  return path;
}

/** Rows written and their average stored sizes: every side must have written the same thing. */
async function rowCheck(pool: Pool, eventsPerTx: number, transactions: number): Promise<string> {
  const { rows } = await pool.query<{ events: string; outbox: string; data: string; payload: string }>(
    `select (select count(*) from events) as events, (select count(*) from outbox) as outbox,
            (select round(avg(pg_column_size(data))) from events) as data,
            (select round(avg(pg_column_size(payload))) from outbox) as payload`,
  );
  const row = rows[0]!;
  const expected = transactions * eventsPerTx;
  const ok = Number(row.events) === expected && Number(row.outbox) === expected ? 'ok' : 'MISMATCH';
  return `${ok}: ${int(Number(row.events))} events, ${int(Number(row.outbox))} outbox rows (${row.data} / ${row.payload} B each)`;
}

async function pgbenchSide(
  config: Config,
  side: Side,
  eventsPerTx: number,
  s: SideSettings,
  pool: Pool,
  serverPids: () => Promise<number[]>,
): Promise<SideResult> {
  const result = await runPgbench(
    config,
    [
      '-n',
      `--protocol=${side === 'pgbench' ? 'prepared' : 'extended'}`,
      `--client=${s.clients}`,
      `--jobs=${Math.min(s.clients, 2)}`,
      `--time=${s.durationS}`,
      `--file=${scriptFor(eventsPerTx)}`,
      `--define=clients=${s.clients}`,
      `--define=streams_per_client=${s.streamsPerClient}`,
    ],
    serverPids,
  );
  return {
    side,
    eventsPerTx,
    transactions: result.transactions,
    transactionsPerSecond: result.tps,
    eventsPerSecond: result.tps * eventsPerTx,
    latencyAverageMs: result.latencyAverageMs,
    latencyP99Ms: Number.NaN,
    errors: result.failed,
    cpu: result.cpu,
    check: await rowCheck(pool, eventsPerTx, result.transactions),
  };
}

const EVENT_JSON = JSON.stringify(BENCH_EVENT_DATA);
const PAYLOAD_JSON = JSON.stringify({ change: BENCH_EVENT_DATA });

/** bench/pgbench/append-N.sql as node-postgres named statements ($1 = stream id, $2 = new version). */
function rawStatements(k: number) {
  return {
    stream: {
      name: `bench_stream_${k}`,
      text: `insert into streams (stream_id, stream_type, version) values ($1, 'bench', ${k})
             on conflict (stream_id) do update set version = streams.version + ${k}, updated_at = now()
             returning version`,
    },
    events: {
      name: `bench_events_${k}`,
      text: `insert into events (stream_id, stream_type, stream_version, event_id, event_type, schema_version,
                                 data, metadata, occurred_at)
             select $1, 'bench', $2::bigint - ${k} + g, gen_random_uuid(), 'BenchEvent', 1, $3, '{}', now()
             from generate_series(1, ${k}) as g`,
    },
    outbox: {
      name: `bench_outbox_${k}`,
      text: `insert into outbox (id, aggregate_type, aggregate_id, stream_version, event_type, schema_version,
                                 payload, headers)
             select gen_random_uuid(), 'bench', $1, $2::bigint - ${k} + g, 'BenchEvent', 1, $3, $4
             from generate_series(1, ${k}) as g`,
    },
  };
}

/** Runs `clients` writers until the deadline; each writer calls `once(client)` and times it. */
async function closedLoop(
  s: SideSettings,
  pool: Pool,
  serverPids: () => Promise<number[]>,
  once: (client: number) => Promise<boolean>,
): Promise<{ latencies: number[]; errors: number; elapsedS: number; cpu: CpuReport }> {
  // Open every connection before the clock starts, as pgbench does.
  const warm = await Promise.all(Array.from({ length: s.clients }, () => pool.connect()));
  warm.forEach((client) => client.release());
  const latencies: number[] = [];
  let errors = 0;
  const cpu = watchCpu({ serverPids });
  const started = performance.now();
  const deadline = started + s.durationS * 1000;
  const writer = async (client: number) => {
    while (performance.now() < deadline) {
      const t = performance.now();
      if (await once(client)) latencies.push(performance.now() - t);
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: s.clients }, (_, client) => writer(client)));
  const elapsedS = (performance.now() - started) / 1000;
  return { latencies, errors, elapsedS, cpu: await cpu.stop() };
}

function nodeResult(
  side: Side,
  eventsPerTx: number,
  run: Awaited<ReturnType<typeof closedLoop>>,
  check: string,
): SideResult {
  const latency = summarize(run.latencies);
  return {
    side,
    eventsPerTx,
    transactions: run.latencies.length,
    transactionsPerSecond: run.latencies.length / run.elapsedS,
    eventsPerSecond: (run.latencies.length * eventsPerTx) / run.elapsedS,
    latencyAverageMs: latency.mean,
    latencyP99Ms: latency.p99,
    errors: run.errors,
    cpu: run.cpu,
    check,
  };
}

async function nodePgSide(
  eventsPerTx: number,
  s: SideSettings,
  pool: Pool,
  serverPids: () => Promise<number[]>,
): Promise<SideResult> {
  const sql = rawStatements(eventsPerTx);
  const headers = JSON.stringify({ occurredAt: BENCH_EVENT_DATA.addedAt });
  const run = await closedLoop(s, pool, serverPids, async (client) => {
    const streamId = `bench-${client + s.clients * randomInt(s.streamsPerClient)}`;
    const connection: PoolClient = await pool.connect();
    try {
      await connection.query('begin');
      const { rows } = await connection.query<{ version: string }>({ ...sql.stream, values: [streamId] });
      const version = rows[0]!.version;
      await connection.query({ ...sql.events, values: [streamId, version, EVENT_JSON] });
      await connection.query({ ...sql.outbox, values: [streamId, version, PAYLOAD_JSON, headers] });
      await connection.query('commit');
      return true;
    } finally {
      connection.release();
    }
  });
  return nodeResult('node-pg', eventsPerTx, run, await rowCheck(pool, eventsPerTx, run.latencies.length));
}

async function tributarySide(
  config: Config,
  eventsPerTx: number,
  s: SideSettings,
  pool: Pool,
  serverPids: () => Promise<number[]>,
): Promise<SideResult> {
  const store = createEventStoreFor(config, pool);
  const events = Array.from({ length: eventsPerTx }, () => ({
    type: BENCH_EVENT_TYPE,
    schemaVersion: 1,
    data: BENCH_EVENT_DATA,
  }));
  const versions = new Map<string, number>();
  const run = await closedLoop(s, pool, serverPids, async (client) => {
    const streamId = `bench-${client + s.clients * randomInt(s.streamsPerClient)}`;
    const expected: ExpectedVersion = s.expectedMode === 'any' ? 'any' : (versions.get(streamId) ?? 0);
    try {
      const result = await store.append({ streamId, streamType: BENCH_STREAM_TYPE, expected, events });
      versions.set(streamId, result.nextVersion);
      return true;
    } catch (error) {
      // Writers own disjoint streams, so a conflict would be a bug in the bench; count it, don't hide it.
      if (error instanceof TributaryError && error.code === 'store.conflict') return false;
      throw error;
    }
  });
  return nodeResult('tributary', eventsPerTx, run, await rowCheck(pool, eventsPerTx, run.latencies.length));
}

/** Runs one side on the (fresh) bench database. */
export async function runSide(
  config: Config,
  side: Side,
  eventsPerTx: number,
  settings: SideSettings,
): Promise<SideResult> {
  const lister = await openBackendLister(config);
  // Tributary's side connects as Tributary's pools do (src/db/pool.ts); the baselines as plain clients.
  const connectionString = side === 'tributary' ? withSessionOptions(config.databaseUrl) : config.databaseUrl;
  const pool = new Pool({ connectionString, max: settings.clients });
  // pool.end() resolves before its connections close on the server; the next side force-drops the database.
  pool.on('error', () => undefined);
  const serverPids = () => lister.list();
  try {
    switch (side) {
      case 'pgbench':
      case 'pgbench-extended':
        return await pgbenchSide(config, side, eventsPerTx, settings, pool, serverPids);
      case 'node-pg':
        return await nodePgSide(eventsPerTx, settings, pool, serverPids);
      case 'tributary':
        return await tributarySide(config, eventsPerTx, settings, pool, serverPids);
    }
  } finally {
    await pool.end();
    await lister.close();
  }
}
