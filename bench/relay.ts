/**
 * Relay throughput and latency: outbox → logical replication → Kafka CloudEvents.
 *
 *  1. Backlog drain: N events written while no relay runs, then the relay (a separate process, the real CLI)
 *     drains them; events/s, CPU seconds per 10,000 events and peak RSS of the relay process.
 *  2. Live load: writers commit at a fixed rate (open loop) while the relay runs; the relay's own
 *     commit→Kafka-ack histogram gives p50/p99 (bucket upper bounds) and the published rate is compared with
 *     the written rate.
 *  3. Baseline in the same run: kafkajs alone publishing the same number of pre-encoded CloudEvents with the
 *     relay's producer settings, the ceiling any relay on this client can reach here.
 *
 *  4. Validation before publishing (RELAY_VALIDATE_SCHEMAS, issue 21): a backlog of real order events (their
 *     `{ change, state }` payloads, as the command handler writes them) drained with validation off and then
 *     on, in the same run, over the first security mode; `--validation-backlog=0` skips it.
 *  5. Each of 1–3 per security mode (`--security`, default `sasl_ssl,plaintext`): the relay over SASL_SSL as
 *     its own user with its ACLs (the stack's only client listener), and over a PLAINTEXT listener that the
 *     stack opens only with STACK_KAFKA_PLAINTEXT_PORT, for this comparison.
 *
 * Run: STACK_KAFKA_PLAINTEXT_PORT=9094 npm run stack:up, then
 *      STACK_KAFKA_PLAINTEXT_PORT=9094 npx tsx bench/relay.ts [--backlog=200000] [--latency-rate=5000]
 *        [--throughput-rate=15000] [--duration=20] [--events-per-tx=20] [--security=sasl_ssl,plaintext]
 *        [--validation-backlog=100000] [--validation-rounds=2]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Client, Pool } from 'pg';
import { createEventStoreFor } from '../src/commands';
import type { OrderCommand } from '../src/domain/orders/commands';
import { orderDecider } from '../src/domain/orders/decider';
import { isOrder } from '../src/domain/orders/state';
import { toOrderView } from '../src/domain/orders/view';
import { toOutboxEntry, withStateAfter } from '../src/outbox';
import { loadConfig, type Config } from '../src/config';
import { kafkaPublisher, toCloudEvent, toKafkaMessage, validatingEncoder } from '../src/relay';
import { kafkaEncoder } from '../src/relay/cloudevent';
import type { RelayEntry } from '../src/relay/transaction-buffer';
import { loadSchemaRegistry } from '../src/cli/schemas';
import { benchConfig, freshDatabase } from './lib/db';
import { collectFacts, factsMarkdown } from './lib/facts';
import { int, table } from './lib/markdown';
import { givenOptions, listOption, numberOption } from './lib/options';
import { processCpuSeconds } from './lib/cpu';
import { BENCH_EVENT_DATA, BENCH_STREAM_TYPE } from './lib/payload';
import { componentAcls, ensureAcls, ensureTopics } from '../src/setup';
import { sleep } from '../src/util';
import { kafkaClient } from '../src/clients';

const BACKLOG = numberOption('backlog', 'BENCH_BACKLOG', 200_000);
const LATENCY_RATE = numberOption('latency-rate', 'BENCH_LATENCY_RATE', 5_000);
const THROUGHPUT_RATE = numberOption('throughput-rate', 'BENCH_THROUGHPUT_RATE', 15_000);
const DURATION_S = numberOption('duration', 'BENCH_DURATION', 20);
/** A file for the relay's stdout (its logs, or `--trace-gc` lines); without it the output is dropped. */
const RELAY_STDOUT = process.env.BENCH_RELAY_STDOUT;
/** Extra node flags for the relay process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where its time goes. */
const RELAY_NODE_ARGS = (process.env.BENCH_RELAY_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
const EVENTS_PER_TX = numberOption('events-per-tx', 'BENCH_EVENTS_PER_TX', 20);
const VALIDATION_BACKLOG = numberOption('validation-backlog', 'BENCH_VALIDATION_BACKLOG', 100_000);
/** Off/on drains alternate this many times (the machine's load drifts; alternating spreads it over both). */
const VALIDATION_ROUNDS = numberOption('validation-rounds', 'BENCH_VALIDATION_ROUNDS', 2);
/** Which passes to run, in this order (`--security=sasl_ssl,plaintext,sasl_ssl` alternates for noise). */
const SECURITY = listOption('security', 'BENCH_SECURITY', ['sasl_ssl', 'plaintext'] as const, [
  'sasl_ssl',
  'plaintext',
]);
const METRICS_PORT = 9471;
const SLOT = 'bench_relay';
const log = (line: string) => process.stderr.write(`${line}\n`);

async function dropBenchSlot(config: Config): Promise<void> {
  const url = new URL(config.databaseUrl);
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  await admin.query(
    `select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = $1`,
    [SLOT],
  );
  await admin.end();
}

/** The relay CLI as a child process (its CPU and memory are what we measure). */
function startRelay(config: Config, topicPrefix: string, security: Record<string, string>): ChildProcess {
  const tsx = join(__dirname, '..', 'node_modules', '.bin', 'tsx');
  return spawn(tsx, [...RELAY_NODE_ARGS, join(__dirname, '..', 'src', 'cli', 'main.ts'), 'relay'], {
    env: {
      ...process.env,
      ...security,
      DATABASE_URL: config.databaseUrl,
      TOPIC_PREFIX: topicPrefix,
      RELAY_SLOT: SLOT,
      RELAY_METRICS_PORT: String(METRICS_PORT),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', RELAY_STDOUT === undefined ? 'ignore' : openSync(RELAY_STDOUT, 'w'), 'inherit'],
  });
}

/** The node process under tsx: the child of the tsx launcher that runs main.ts. */
function relayPid(launcher: ChildProcess): number {
  const children = readFileSync(`/proc/${launcher.pid}/task/${launcher.pid}/children`, 'utf8')
    .trim()
    .split(/\s+/);
  return Number(children[0] ?? launcher.pid);
}

async function scrape(): Promise<string> {
  try {
    return await (await fetch(`http://127.0.0.1:${METRICS_PORT}/metrics`)).text();
  } catch {
    return '';
  }
}
const counter = (text: string, name: string) =>
  Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
function buckets(text: string): Map<number, number> {
  const result = new Map<number, number>();
  for (const match of text.matchAll(
    /^tributary_relay_commit_to_kafka_ack_seconds_bucket\{le="([^"]+)"\} (\S+)$/gm,
  )) {
    result.set(match[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(match[1]), Number(match[2]));
  }
  return result;
}
/** The smallest bucket bound below which `q` of the observations (between two scrapes) fall. */
function quantileBound(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Number.POSITIVE_INFINITY) ?? 0) - (before.get(Number.POSITIVE_INFINITY) ?? 0);
  for (const bound of bounds) {
    if ((after.get(bound) ?? 0) - (before.get(bound) ?? 0) >= q * total) return bound;
  }
  return Number.POSITIVE_INFINITY;
}
const peakRssMb = (pid: number) =>
  Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

async function waitForPublished(target: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const published = counter(await scrape(), 'tributary_relay_events_published_total');
    if (published >= target || Date.now() > deadline) return published;
    await sleep(100);
  }
}

async function writeAtRate(
  pool: Pool,
  config: Config,
  eventsPerSecond: number,
  seconds: number,
): Promise<number> {
  const store = createEventStoreFor(config, pool);
  // Expected versions tracked per stream, as a command handler knows them: the one-statement append.
  const versions = new Map<string, number>();
  const { rows } = await pool.query<{ stream_id: string; version: string }>(
    `select stream_id, version from streams where stream_id like 'bench-%'`,
  );
  for (const row of rows) versions.set(row.stream_id, Number(row.version));
  const txPerSecond = eventsPerSecond / EVENTS_PER_TX;
  const end = Date.now() + seconds * 1000;
  let sent = 0;
  let written = 0;
  const inflight = new Set<Promise<void>>();
  const start = Date.now();
  while (Date.now() < end) {
    const due = Math.floor(((Date.now() - start) / 1000) * txPerSecond);
    while (sent < due) {
      const n = sent++;
      const streamId = `bench-${n % 5000}`;
      const append = (expected: number | 'any') =>
        store.append({
          streamId,
          streamType: BENCH_STREAM_TYPE,
          expected,
          events: Array.from({ length: EVENTS_PER_TX }, () => ({
            type: 'BenchEvent',
            schemaVersion: 1,
            data: BENCH_EVENT_DATA,
          })),
        });
      // When the writers fall behind, two appends to one stream can be in flight: the later one retries as 'any'.
      const p = append(versions.get(streamId) ?? 'any')
        .catch((error: unknown) => {
          if ((error as { code?: string }).code !== 'store.conflict') throw error;
          return append('any');
        })
        .then((result) => {
          versions.set(streamId, result.nextVersion);
          written += EVENTS_PER_TX;
        });
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
    await sleep(5);
  }
  await Promise.all(inflight);
  return written;
}

const benchKafka = (config: Config) => kafkaClient(config, { clientId: 'bench-setup' });

async function kafkaBaseline(config: Config, admin: Config, events: number): Promise<number> {
  const publisher = kafkaPublisher({
    connection: config,
    clientId: 'bench-baseline',
    compression: 'none',
  });
  const topic = `bench-baseline-${Date.now()}.bench`;
  await ensureTopics(benchKafka(admin), [topic], 6);
  await ensureAcls(benchKafka(admin), componentAcls(admin, [topic]));
  await publisher.connect();
  const messages = Array.from({ length: 2000 }, (_, i) =>
    toKafkaMessage(
      toCloudEvent(
        {
          id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
          aggregateType: 'bench',
          aggregateId: `bench-${i % 5000}`,
          streamVersion: i + 1,
          eventType: 'BenchEvent',
          schemaVersion: 1,
          payload: { change: BENCH_EVENT_DATA },
          headers: { occurredAt: new Date().toISOString() },
        },
        { source: config.cloudEventSource, typePrefix: config.cloudEventTypePrefix },
      ),
    ),
  );
  await publisher.publish([{ topic, messages: messages.slice(0, 10) }]); // metadata and producer id outside the timing
  const started = Date.now();
  for (let sent = 0; sent < events; sent += messages.length) await publisher.publish([{ topic, messages }]);
  const rate = events / ((Date.now() - started) / 1000);
  await publisher.disconnect();
  return rate;
}

/** How the relay connects in one pass: SASL_SSL as its own user with its ACLs, or the bench-only PLAINTEXT. */
type Security = 'sasl_ssl' | 'plaintext';

/** The environment of the relay process (and the settings of this process) for one security mode. */
function securityEnv(config: Config, security: Security): Record<string, string> {
  if (security === 'sasl_ssl') return { KAFKA_USERNAME: `${config.kafkaUserPrefix}relay` };
  if (config.stackKafkaPlaintextPort === 0) {
    throw new Error(
      'the PLAINTEXT pass needs the stack started with STACK_KAFKA_PLAINTEXT_PORT (e.g. 9094); or pass --security=sasl_ssl',
    );
  }
  return {
    KAFKA_SECURITY_PROTOCOL: 'plaintext',
    KAFKA_BROKERS: `127.0.0.1:${config.stackKafkaPlaintextPort}`,
  };
}

async function writeBacklog(pool: Pool, config: Config): Promise<void> {
  const store = createEventStoreFor(config, pool);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < BACKLOG / EVENTS_PER_TX) {
        const n = next++;
        await store.append({
          streamId: `bench-${n % 5000}`,
          streamType: BENCH_STREAM_TYPE,
          expected: 'any',
          events: Array.from({ length: EVENTS_PER_TX }, () => ({
            type: 'BenchEvent',
            schemaVersion: 1,
            data: BENCH_EVENT_DATA,
          })),
        });
      }
    }),
  );
}

/** The relay process (found once it runs), killed with this process whatever happens. */
async function launchRelay(config: Config, topicPrefix: string, env: Record<string, string>) {
  const launcher = startRelay(config, topicPrefix, env);
  await sleep(1500);
  const pid = relayPid(launcher);
  process.once('exit', () => {
    // Never leave a relay behind, even on a failure (killing the tsx launcher does not stop its child).
    for (const target of [pid, launcher.pid]) {
      try {
        if (target !== undefined) process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  return { launcher, pid };
}

interface Pass {
  security: Security;
  drained: number;
  drainSeconds: number;
  drainCpu: number;
  drainRss: number;
  live: string[][];
  peakRss: number;
  baseline: number;
}

async function livePhase(pool: Pool, config: Config, pid: number, rate: number): Promise<string[]> {
  log(`live load at ${rate} events/s for ${DURATION_S} s`);
  const before = await scrape();
  const cpuBefore = processCpuSeconds(pid) ?? 0;
  const publishedBefore = counter(before, 'tributary_relay_events_published_total');
  const started = Date.now();
  const written = await writeAtRate(pool, config, rate, DURATION_S);
  const writeSeconds = (Date.now() - started) / 1000;
  const published = (await waitForPublished(publishedBefore + written, 120_000)) - publishedBefore;
  const catchUpSeconds = (Date.now() - started) / 1000 - writeSeconds;
  const after = await scrape();
  const cpu = (processCpuSeconds(pid) ?? 0) - cpuBefore;
  return [
    int(rate),
    int(written / writeSeconds),
    int(published),
    catchUpSeconds.toFixed(1),
    `≤ ${quantileBound(buckets(before), buckets(after), 0.5) * 1000} ms`,
    `≤ ${quantileBound(buckets(before), buckets(after), 0.99) * 1000} ms`,
    ((cpu / Math.max(1, published)) * 10_000).toFixed(2),
  ];
}

/** One pass: a fresh database and slot, the backlog drained, the live loads, then the kafkajs baseline. */
async function runPass(base: Config, security: Security): Promise<Pass> {
  const env = securityEnv(base, security);
  const config = loadConfig({ ...process.env, ...env, DATABASE_URL: base.databaseUrl });
  await dropBenchSlot(config);
  await freshDatabase(config);
  const pool = new Pool({ connectionString: config.databaseUrl, max: 8 });
  await pool.query(`select pg_create_logical_replication_slot($1, 'pgoutput')`, [SLOT]);
  const topicPrefix = `bench-relay-${Date.now()}.`;
  const topic = `${topicPrefix}${BENCH_STREAM_TYPE}`;
  // As `tributary setup` would, as the stack's super user: the topic, and the relay user's ACLs on it.
  await ensureTopics(benchKafka(base), [topic], 6);
  await ensureAcls(benchKafka(base), componentAcls(base, [topic]));

  log(`${security}: writing a backlog of ${BACKLOG} events`);
  await writeBacklog(pool, config);
  log(`${security}: draining the backlog with the relay`);
  const { launcher, pid } = await launchRelay(config, topicPrefix, env);
  const cpuStart = processCpuSeconds(pid) ?? 0;
  // Time from the first published event: the relay connects and starts streaming first.
  await waitForPublished(1, 60_000);
  const firstAt = Date.now();
  const drained = await waitForPublished(BACKLOG, 300_000);
  const drainSeconds = (Date.now() - firstAt) / 1000;
  const drainCpu = (processCpuSeconds(pid) ?? 0) - cpuStart;
  const drainRss = peakRssMb(pid);
  log(`${security}: drained ${drained} in ${drainSeconds.toFixed(1)} s`);
  const live: string[][] = [];
  for (const rate of [LATENCY_RATE, THROUGHPUT_RATE]) live.push(await livePhase(pool, config, pid, rate));
  const peakRss = peakRssMb(pid);
  launcher.kill('SIGTERM');
  await new Promise((resolve) => launcher.once('exit', resolve));
  log(`${security}: baseline, kafkajs alone`);
  const baseline = await kafkaBaseline(config, base, BACKLOG);
  await pool.end();
  await dropBenchSlot(config);
  return { security, drained, drainSeconds, drainCpu, drainRss, live, peakRss, baseline };
}

/** One order's commands: created with a line, then lines added and removed in turn (`count` events). */
function orderCommands(orderId: string, count: number): OrderCommand[] {
  const at = new Date().toISOString();
  const customer = { id: `cust-${orderId.length}`, name: 'Bench Customer', email: 'bench@example.com' };
  const line = (k: number) => ({
    sku: `SKU-${k}`,
    name: `Widget ${k}`,
    quantity: 1 + (k % 3),
    unitPrice: 1250,
  });
  const commands: OrderCommand[] = [
    { type: 'CreateOrder', orderId, customer, lines: [line(0)], currency: 'EUR', at },
  ];
  for (let i = 1; i < count; i++) {
    const k = Math.ceil(i / 2);
    commands.push(
      i % 2 === 1
        ? { type: 'AddOrderLine', orderId, line: line(k), at }
        : { type: 'RemoveOrderLine', orderId, sku: `SKU-${k}`, at },
    );
  }
  return commands;
}

/** Writes `events` order events, `EVENTS_PER_TX` per order and transaction, with the payloads the API writes. */
async function writeOrderBacklog(pool: Pool, config: Config, events: number): Promise<void> {
  const store = createEventStoreFor(config, pool);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < events / EVENTS_PER_TX) {
        const orderId = `bench-order-${next++}`;
        let state = orderDecider.initialState();
        const decided = orderCommands(orderId, EVENTS_PER_TX).flatMap((command) => {
          const produced = orderDecider.decide(command, state);
          return produced.map((event) => {
            state = orderDecider.evolve(state, event);
            return { event, view: isOrder(state) ? toOrderView(state) : undefined };
          });
        });
        await store.append(
          {
            streamId: `order-${orderId}`,
            streamType: 'order',
            expected: 'any',
            events: decided.map((d) => d.event),
          },
          {
            outbox: (pending) =>
              pending.map((p, i) => toOutboxEntry(p, orderId, withStateAfter(p, decided[i]!.view)!)),
          },
        );
      }
    }),
  );
}

/** Drains a backlog of order events with validation off, then on: events/s and relay CPU per 10,000 events. */
async function validationDrains(base: Config, security: Security): Promise<string[][]> {
  const rows: string[][] = [];
  const modes = Array.from({ length: VALIDATION_ROUNDS }, () => ['false', 'true']).flat();
  for (const validate of modes) {
    const env = { ...securityEnv(base, security), RELAY_VALIDATE_SCHEMAS: validate };
    const config = loadConfig({ ...process.env, ...env, DATABASE_URL: base.databaseUrl });
    await dropBenchSlot(config);
    await freshDatabase(config);
    const pool = new Pool({ connectionString: config.databaseUrl, max: 8 });
    await pool.query(`select pg_create_logical_replication_slot($1, 'pgoutput')`, [SLOT]);
    const topicPrefix = `bench-relay-validation-${Date.now()}.`;
    await ensureTopics(benchKafka(base), [`${topicPrefix}order`], 6);
    await ensureAcls(benchKafka(base), componentAcls(base, [`${topicPrefix}order`]));
    log(`validation ${validate === 'true' ? 'on' : 'off'}: writing ${VALIDATION_BACKLOG} order events`);
    await writeOrderBacklog(pool, config, VALIDATION_BACKLOG);
    const { launcher, pid } = await launchRelay(config, topicPrefix, env);
    const cpuStart = processCpuSeconds(pid) ?? 0;
    await waitForPublished(1, 60_000);
    const firstAt = Date.now();
    const drained = await waitForPublished(VALIDATION_BACKLOG, 300_000);
    const seconds = (Date.now() - firstAt) / 1000;
    const cpu = (processCpuSeconds(pid) ?? 0) - cpuStart;
    const deadLetters = counter(await scrape(), 'tributary_relay_dead_letters_total');
    launcher.kill('SIGTERM');
    await new Promise((resolve) => launcher.once('exit', resolve));
    await pool.end();
    await dropBenchSlot(config);
    log(`validation ${validate}: drained ${drained} in ${seconds.toFixed(1)} s`);
    rows.push([
      validate === 'true' ? 'on' : 'off',
      int(drained),
      seconds.toFixed(1),
      int(drained / seconds),
      ((cpu / drained) * 10_000).toFixed(2),
      int(deadLetters),
    ]);
  }
  return rows;
}

/**
 * The validation's own cost, in this process: encoding order events' relay entries with and without
 * validation (best of 5 runs of each), so the difference is not hidden by the machine's load on the drains.
 */
function validationMicro(): string {
  const registry = loadSchemaRegistry();
  const options = { source: '/tributary', typePrefix: 'io.tributary' };
  const plain = kafkaEncoder(options);
  const checked = validatingEncoder(kafkaEncoder(options), registry.validate);
  const entries: RelayEntry[] = [];
  for (let n = 0; entries.length < 10_000; n++) {
    let state = orderDecider.initialState();
    const orderId = `micro-${n}`;
    for (const command of orderCommands(orderId, EVENTS_PER_TX)) {
      for (const event of orderDecider.decide(command, state)) {
        state = orderDecider.evolve(state, event);
        const view = isOrder(state) ? toOrderView(state) : undefined;
        entries.push({
          id: randomUUID(),
          aggregateType: 'order',
          aggregateId: orderId,
          streamVersion: entries.length + 1,
          eventType: event.type,
          schemaVersion: event.schemaVersion,
          headers: { occurredAt: new Date().toISOString() },
          payloadJson: JSON.stringify({ change: event.data, state: view }),
        });
      }
    }
  }
  const best = (encode: (entry: RelayEntry) => unknown) => {
    let fastest = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 5; run++) {
      const started = process.hrtime.bigint();
      for (const entry of entries) encode(entry);
      fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / 1e6);
    }
    return fastest;
  };
  const [without, withValidation] = [best(plain), best(checked)];
  return `In-process, encoding 10,000 order events' records (best of 5): ${without.toFixed(0)} ms without validation, ${withValidation.toFixed(0)} ms with it: validation adds ${(withValidation - without).toFixed(0)} ms of CPU per 10,000 events (${(((withValidation - without) / 10_000) * 1000).toFixed(1)} µs per event).`;
}

function validationTable(security: Security, rows: string[][]): string[] {
  if (rows.length === 0) return [];
  const rate = (mode: string) =>
    rows.filter((row) => row[0] === mode).map((row) => Number(row[3]!.replace(/[^0-9]/g, '')));
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const [off, on] = [mean(rate('off')), mean(rate('on'))];
  return [
    `### Validation before publishing (RELAY_VALIDATE_SCHEMAS), order events, ${security}`,
    '',
    table(
      ['validation', 'events', 'seconds', 'events/s', 'relay CPU s per 10,000 events', 'dead letters'],
      rows,
    ),
    '',
    `Mean drain rate with validation vs without, in this run: ${Math.round((on / off) * 100)}%.`,
    '',
    validationMicro(),
    '',
  ];
}

function passTables(pass: Pass): string[] {
  const drainRate = pass.drained / pass.drainSeconds;
  return [
    `### ${pass.security === 'sasl_ssl' ? 'SASL_SSL (SCRAM-SHA-512, TLS, ACLs; as tributary-relay)' : 'PLAINTEXT (bench-only listener)'}`,
    '',
    table(
      ['phase', 'events', 'seconds', 'events/s', 'relay CPU s per 10,000 events', 'relay peak RSS MB'],
      [
        [
          'backlog drain (relay process)',
          int(pass.drained),
          pass.drainSeconds.toFixed(1),
          int(drainRate),
          ((pass.drainCpu / pass.drained) * 10_000).toFixed(2),
          pass.drainRss.toFixed(0),
        ],
        [
          'baseline: kafkajs alone, same producer settings, pre-encoded',
          int(BACKLOG),
          '',
          int(pass.baseline),
          '',
          '',
        ],
      ],
    ),
    '',
    table(
      [
        'target events/s',
        'written events/s',
        'published',
        'catch-up after writers stop (s)',
        'commit→ack p50',
        'commit→ack p99',
        'relay CPU s per 10,000 events',
      ],
      pass.live,
    ),
    '',
    `Relay peak RSS over the pass: ${pass.peakRss.toFixed(0)} MB. Drain rate vs kafkajs alone: ${Math.round((drainRate / pass.baseline) * 100)}%.`,
    '',
  ];
}

async function main(): Promise<void> {
  const config = benchConfig('bench_relay');
  const facts = await collectFacts(config, [
    [
      'bench',
      `relay: backlog ${BACKLOG}, live ${LATENCY_RATE} and ${THROUGHPUT_RATE} events/s for ${DURATION_S} s, ${EVENTS_PER_TX} events/tx, passes ${SECURITY.join(', ')}`,
    ],
  ]);
  const passes: Pass[] = [];
  for (const security of SECURITY) passes.push(await runPass(config, security));
  const validation = VALIDATION_BACKLOG > 0 ? await validationDrains(config, SECURITY[0]!) : [];
  const drain = (security: Security) =>
    passes.filter((p) => p.security === security).map((p) => p.drained / p.drainSeconds);
  const [sasl, plain] = [drain('sasl_ssl'), drain('plaintext')];
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const ratio =
    sasl.length > 0 && plain.length > 0
      ? `SASL_SSL drain vs PLAINTEXT in this run: ${Math.round((mean(sasl) / mean(plain)) * 100)}% (target ≥ 80%).`
      : '';
  process.stdout.write(
    [
      `Reproduce: \`npx tsx bench/relay.ts ${givenOptions().join(' ')}\``.replace(/ `$/, '`'),
      '',
      factsMarkdown(facts),
      '',
      ...passes.flatMap(passTables),
      ratio,
      '',
      ...validationTable(SECURITY[0]!, validation),
    ].join('\n'),
  );
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
