/**
 * Projector throughput: Kafka CloudEvents → read model, through the whole runtime (decode, upcast, parking
 * check, apply, checkpoint, offset commit).
 *
 *  1. N order events (realistic histories, each carrying the order's state) are published to a fresh topic
 *     exactly as the relay publishes them.
 *  2. Baseline in the same run: a bare kafkajs consumer group reading the same topic with eachBatch and
 *     committing offsets, doing nothing else — the ceiling of any projector on this client here.
 *  3. Each projector (search → Elasticsearch, reporting → PostgreSQL) consumes the topic from the beginning
 *     in this process; events/s from its first applied batch to its last committed offset, and CPU seconds
 *     per 10,000 events of this process (Kafka, Elasticsearch and PostgreSQL run in their own processes).
 *
 * Run: npx tsx bench/projectors.ts [--events=100000] [--partitions=6] [--projectors=search,reporting] [--concurrency=3]
 */
import { randomBytes } from 'node:crypto';
import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import pino from 'pino';
import { orderContracts } from '../src/contracts';
import { createReportingProjection } from '../src/projections/reporting';
import { projectorMetrics, runProjector } from '../src/projections/runtime';
import { ensureTopics } from '../src/setup';
import { createSearchProjection, ensureOrdersIndex } from '../src/projections/search';
import type { Projection } from '../src/projections/types';
import { randomOrderHistory, toRelayMessage } from '../test/fixtures/projection-events';
import { seededRandom } from '../test/fixtures/random';
import { loadConfig } from '../src/config';
import { benchConfig, freshDatabase } from './lib/db';
import { collectFacts, factsMarkdown } from './lib/facts';
import { int, table } from './lib/markdown';
import { givenOptions, listOption, numberOption } from './lib/options';
import { sleep } from '../src/util';
import { elasticsearchClient, kafkaClient, type KafkaSettings } from '../src/clients';

const EVENTS = numberOption('events', 'BENCH_EVENTS', 100_000);
const PARTITIONS = numberOption('partitions', 'BENCH_PARTITIONS', 6);
const CONCURRENCY = numberOption(
  'concurrency',
  'BENCH_CONCURRENCY',
  loadConfig({}).projectorPartitionsConcurrency, // the product's default
);
const ONLY = listOption('projectors', 'BENCH_PROJECTORS', ['search', 'reporting'] as const, [
  'search',
  'reporting',
]);
const TARGET_EVENTS_PER_S = 10_000;
const log = (line: string) => process.stderr.write(`${line}\n`);

interface Measured {
  name: string;
  events: number;
  seconds: number;
  cpuSeconds: number;
}

async function publishBacklog(kafka: Kafka, topic: string): Promise<number> {
  const producer = kafka.producer();
  await producer.connect();
  const random = seededRandom(42);
  let published = 0;
  let batch: { key: Buffer; value: Buffer; headers: Record<string, Buffer> }[] = [];
  while (published < EVENTS) {
    for (const event of randomOrderHistory(random)) {
      const { key, value, headers } = toRelayMessage(event);
      batch.push({ key, value, headers });
      published += 1;
    }
    if (batch.length >= 2_000 || published >= EVENTS) {
      await producer.send({ topic, acks: -1, messages: batch });
      batch = [];
    }
  }
  await producer.disconnect();
  return published;
}

async function committed(kafka: Kafka, groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

/** A bare consumer group that only commits: the ceiling. */
async function baseline(kafka: Kafka, topic: string, total: number): Promise<Measured> {
  const consumer = kafka.consumer({
    groupId: `bench-baseline-${randomBytes(4).toString('hex')}`,
    maxBytesPerPartition: 2_097_152,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let first = 0;
  const cpu = process.cpuUsage();
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset }) => {
      if (first === 0) first = Date.now();
      const last = batch.messages[batch.messages.length - 1]!.offset;
      resolveOffset(last);
      await consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: String(BigInt(last) + 1n) },
      ]);
      seen += batch.messages.length;
    },
  });
  while (seen < total) await sleep(20);
  const seconds = (Date.now() - first) / 1000;
  const used = process.cpuUsage(cpu);
  await consumer.disconnect();
  return {
    name: 'kafkajs consumer only (baseline)',
    events: seen,
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
  };
}

async function project(
  name: string,
  projection: Projection,
  pool: Pool,
  kafka: Kafka,
  connection: KafkaSettings,
  topic: string,
  total: number,
): Promise<Measured> {
  const groupId = `bench-${projection.name}-${randomBytes(4).toString('hex')}`;
  let first = 0;
  const timed: Projection = {
    name: projection.name,
    apply: async (events) => {
      if (first === 0) first = Date.now();
      await projection.apply(events);
    },
  };
  const stop = new AbortController();
  const cpu = process.cpuUsage();
  const running = runProjector(
    {
      projection: timed,
      contracts: orderContracts('io.tributary'),
      pool,
      connection,
      groupId,
      topics: [topic],
      retryAttempts: 3,
      retryMaxMs: 1_000,
      partitionsConsumedConcurrently: CONCURRENCY,
      maxBytesPerPartition: 2_097_152,
      logger: pino({ level: 'warn' }),
      metrics: projectorMetrics(projection.name),
    },
    stop.signal,
  );
  for (;;) {
    if ((await committed(kafka, groupId, topic)) >= total) break;
    await sleep(100);
  }
  const seconds = (Date.now() - first) / 1000;
  const used = process.cpuUsage(cpu);
  stop.abort();
  await running;
  return { name, events: total, seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

async function main(): Promise<void> {
  const run = randomBytes(3).toString('hex');
  const config = benchConfig('bench_projectors', {
    TOPIC_PREFIX: `bench-${run}.`,
    INDEX_PREFIX: `bench-${run}-`,
  });
  await freshDatabase(config);
  const facts = await collectFacts(config, [
    [
      'bench',
      `projectors: ${int(EVENTS)} events, ${PARTITIONS} partitions, ${CONCURRENCY} applied at a time`,
    ],
  ]);
  const kafka = kafkaClient(config, { clientId: 'bench-projectors' });
  const topic = `${config.topicPrefix}order`;
  await ensureTopics(kafka, [topic, `${topic}.dlq`], PARTITIONS);
  log(`publishing ${int(EVENTS)} events to ${topic}`);
  const total = await publishBacklog(kafka, topic);
  const pool = new Pool({ connectionString: config.databaseUrl, max: 6 });
  const es = elasticsearchClient(config);
  await ensureOrdersIndex(es, config.indexPrefix);
  const results: Measured[] = [];
  try {
    log('baseline: kafkajs consumer only');
    results.push(await baseline(kafka, topic, total));
    if (ONLY.includes('search')) {
      log('search projector');
      const search = createSearchProjection({ es, prefix: config.indexPrefix });
      results.push(
        await project('search projector → Elasticsearch', search, pool, kafka, config, topic, total),
      );
    }
    if (ONLY.includes('reporting')) {
      log('reporting projector');
      const reporting = createReportingProjection({ pool });
      results.push(
        await project('reporting projector → PostgreSQL', reporting, pool, kafka, config, topic, total),
      );
    }
  } finally {
    await pool.end();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => undefined);
    await admin.disconnect();
    await es.indices.delete({ index: `${config.indexPrefix}orders*` }).catch(() => undefined);
    await es.close();
  }

  const rate = (m: Measured) => m.events / m.seconds;
  const command = ['npx tsx bench/projectors.ts', ...givenOptions()].join(' ');
  process.stdout.write(
    [
      `### Projectors: Kafka → read models`,
      '',
      `Reproduce: \`${command}\``,
      '',
      factsMarkdown(facts),
      '',
      table(
        [
          'consumer',
          'events',
          'seconds',
          'events/s',
          'CPU s per 10,000 events (this process)',
          `target ≥ ${int(TARGET_EVENTS_PER_S)}/s`,
        ],
        results.map((m) => [
          m.name,
          int(m.events),
          m.seconds.toFixed(1),
          int(rate(m)),
          ((m.cpuSeconds / m.events) * 10_000).toFixed(2),
          m.name.includes('baseline') ? '—' : rate(m) >= TARGET_EVENTS_PER_S ? 'met' : 'NOT met',
        ]),
      ),
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/projectors: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
