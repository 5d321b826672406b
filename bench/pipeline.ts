/**
 * End to end: command commit → visible in search, through the whole pipeline (event store + outbox → relay →
 * Kafka → search projector → Elasticsearch), at a fixed command rate.
 *
 * The relay and the search projector run as the real CLI in child processes; commands go straight to the
 * order service in this process (open loop: each is due at start + i / rate). One in `--sample` accepted
 * commands is followed: a poller searches the index every 50 ms for its order at (at least) its new version,
 * and the latency is from the command's answer (its commit) to the first search that finds it.
 * Baseline in the same run: a document written straight to the index (no pipeline) and followed by the same
 * poller — the floor set by the index refresh interval (SEARCH_REFRESH_INTERVAL_MS, 500 ms by default) and the poll period.
 *
 * Before the measured window, the same load runs for `--warmup` seconds, not measured: a just-started
 * Elasticsearch spends a large share of its CPU compiling its hot code (its JIT) for minutes, which is a
 * cost of starting, not of running. The report gives the JVMs' compiler CPU during the measured window, so
 * a run that was still warming up says so.
 *
 * Run: npx tsx bench/pipeline.ts [--rate=1000] [--duration=30] [--warmup=60] [--sample=10]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Client as ElasticClient } from '@elastic/elasticsearch';
import { Pool } from 'pg';
import { createEventStoreFor, createOrderService } from '../src/commands';
import type { Config } from '../src/config';
import { pgExecutor } from '../src/db/executor';
import { ensureOrdersIndex, ordersAlias, ordersIndexOptions } from '../src/projections/search';

import { ensurePublication, ensureSlot } from '../src/relay';
import { deploymentTopics, ensureTopics } from '../src/setup';
import { dropInactiveSlot, stopChildren } from './lib/children';
import { benchConfig, freshDatabase } from './lib/db';
import { collectFacts, factsMarkdown } from './lib/facts';
import { int, ms, table } from './lib/markdown';
import { runOpenLoop } from './lib/open-loop';
import { givenOptions, numberOption } from './lib/options';
import { coresByKind, cpuSnapshot } from './lib/process-cpu';
import { summarize, type Summary } from './lib/stats';
import { sleep } from '../src/util';
import { elasticsearchClient, kafkaClient } from '../src/clients';

const RATE = numberOption('rate', 'BENCH_RATE', 1_000);
const DURATION_S = numberOption('duration', 'BENCH_DURATION', 30);
const WARMUP_S = numberOption('warmup', 'BENCH_WARMUP_S', 60);
const SAMPLE = numberOption('sample', 'BENCH_SAMPLE', 10);
const TARGET_P99_MS = 2_000;
const POLL_MS = 50;
const SLOT = 'bench_pipeline';
const log = (line: string) => process.stderr.write(`${line}\n`);

function startCli(config: Config, args: string[]): ChildProcess {
  const tsx = join(__dirname, '..', 'node_modules', '.bin', 'tsx');
  return spawn(tsx, [join(__dirname, '..', 'src', 'cli', 'main.ts'), ...args], {
    env: {
      ...process.env,
      DATABASE_URL: config.databaseUrl,
      TOPIC_PREFIX: config.topicPrefix,
      INDEX_PREFIX: config.indexPrefix,
      RELAY_SLOT: SLOT,
      RELAY_METRICS_PORT: '0',
      SEARCH_METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/**
 * Follows documents until they are searchable at a version; resolves each with the time it was first found.
 * One search per poll for every followed document (an `ids` query; the hit's `_version` is the stream version,
 * written with external versioning), so the instrument itself costs Elasticsearch little.
 */
function visibilityPoller(es: ElasticClient, index: string) {
  const waiting = new Map<string, { version: number; resolve: (at: number) => void }>();
  let running = true;
  const loop = (async () => {
    while (running) {
      const ids = [...waiting.keys()].slice(0, 5_000);
      if (ids.length > 0) {
        const response = await es.search({
          index,
          size: ids.length,
          _source: false,
          version: true,
          query: { ids: { values: ids } },
        });
        const now = performance.now();
        for (const hit of response.hits.hits) {
          const entry = waiting.get(hit._id!);
          if (entry && (hit._version ?? 0) >= entry.version) {
            waiting.delete(hit._id!);
            entry.resolve(now);
          }
        }
      }
      await sleep(POLL_MS);
    }
  })();
  return {
    follow(id: string, version: number): Promise<number> {
      return new Promise((resolve) => waiting.set(id, { version, resolve }));
    },
    get pending() {
      return waiting.size;
    },
    async stop() {
      running = false;
      await loop;
    },
  };
}

async function main(): Promise<void> {
  const run = randomBytes(3).toString('hex');
  const config = benchConfig('bench_pipeline', {
    TOPIC_PREFIX: `bench-${run}.`,
    INDEX_PREFIX: `bench-${run}-`,
  });
  await freshDatabase(config);
  const facts = await collectFacts(config, [
    [
      'bench',
      `pipeline: ${RATE} commands/s for ${DURATION_S} s after ${WARMUP_S} s of warm-up, 1 in ${SAMPLE} followed`,
    ],
    ['index refresh interval', `${config.searchRefreshIntervalMs} ms (SEARCH_REFRESH_INTERVAL_MS)`],
  ]);
  const pool = new Pool({ connectionString: config.databaseUrl, max: 20 });
  const executor = pgExecutor(pool);
  await executor.query(`select pg_drop_replication_slot($1) from pg_replication_slots where slot_name = $1`, [
    SLOT,
  ]);
  await ensurePublication(executor, config.relayPublication, 'outbox');
  await ensureSlot(executor, SLOT);
  const kafka = kafkaClient(config, { clientId: 'bench-setup' });
  await ensureTopics(kafka, await deploymentTopics(config, executor), config.kafkaTopicPartitions);
  const es = elasticsearchClient(config);
  await ensureOrdersIndex(es, config.indexPrefix, ordersIndexOptions(config));
  const index = ordersAlias(config.indexPrefix);
  const children = [startCli(config, ['relay']), startCli(config, ['project', 'search'])];
  const poller = visibilityPoller(es, index);
  const service = createOrderService(config, createEventStoreFor(config, pool));
  const at = () => new Date().toISOString();
  const created: string[] = [];
  const busy = new Set<string>();
  const latencies: number[] = [];
  const baseline: number[] = [];
  try {
    // Warm-up: the pipeline delivers one order end to end before measuring.
    const warm = randomUUID();
    await service.executeOrder({
      type: 'CreateOrder',
      orderId: warm,
      customer: { id: 'c-warm', name: 'Warm Up', email: 'warm@example.com' },
      lines: [{ sku: 'sku-a', name: 'item a', quantity: 1, unitPrice: 100 }],
      currency: 'EUR',
      at: at(),
    });
    log('waiting for the pipeline to deliver a first order');
    await Promise.race([
      poller.follow(warm, 1),
      sleep(120_000).then(() => Promise.reject(new Error('pipeline did not deliver in 120 s'))),
    ]);

    log(`baseline: direct writes to the index followed by the same poller`);
    for (let i = 0; i < 200; i++) {
      const id = `baseline-${i}`;
      await es
        .index({ index, id, document: { id, version: 1 } as never, version: 1, version_type: 'external' })
        .catch(() => undefined);
      const written = performance.now();
      void poller.follow(id, 1).then((seen) => baseline.push(seen - written));
      await sleep(10);
    }

    // One command: a new order, or (every other one, once there are orders) a line added to an idle order.
    const order = async (i: number, measured: boolean): Promise<string> => {
      // One command per order at a time: a concurrent second one would be a conflict, not a measurement.
      const idle =
        created.length >= 100 && i % 2 === 1
          ? created[Math.floor(Math.random() * created.length)]!
          : undefined;
      const createNew = idle === undefined || busy.has(idle);
      const orderId = createNew ? randomUUID() : idle;
      busy.add(orderId);
      const answer = await (
        createNew
          ? service.executeOrder({
              type: 'CreateOrder',
              orderId,
              customer: {
                id: `c-${i % 500}`,
                name: `Customer ${i % 500}`,
                email: `c${i % 500}@example.com`,
              },
              lines: [
                { sku: `sku-${i % 50}`, name: `item ${i % 50}`, quantity: 1, unitPrice: 100 + (i % 900) },
              ],
              currency: 'EUR',
              at: at(),
            })
          : service.executeOrder({
              type: 'AddOrderLine',
              orderId,
              line: { sku: `sku-x${i}`, name: 'extra', quantity: 1, unitPrice: 250 },
              at: at(),
            })
      ).finally(() => busy.delete(orderId));
      const committed = performance.now();
      if (createNew) created.push(orderId);
      if (measured && i % SAMPLE === 0)
        void poller.follow(orderId, answer.version).then((seen) => latencies.push(seen - committed));
      return createNew ? 'create' : 'add-line';
    };
    // Numbered on across both phases: a line's SKU names its command, so it is never added to an order twice.
    let numbered = 0;
    const load = async (durationS: number, measured: boolean) => {
      const first = numbered;
      const result = await runOpenLoop({
        ratePerSecond: RATE,
        durationMs: durationS * 1000,
        drainTimeoutMs: 30_000,
        maxInFlight: 2_000,
        operation: (i) => order(first + i, measured),
      });
      numbered += result.scheduled;
      return result;
    };

    if (WARMUP_S > 0) {
      log(`warm-up: ${RATE} commands/s for ${WARMUP_S} s, not measured`);
      const warmup = await load(WARMUP_S, false);
      log(`warm-up done: ${int(warmup.succeeded)} accepted at ${int(warmup.achievedPerSecond)}/s`);
    }
    log(`load: ${RATE} commands/s for ${DURATION_S} s`);
    const cpuBefore = cpuSnapshot();
    const loadStarted = performance.now();
    const result = await load(DURATION_S, true);
    const elapsedS = (performance.now() - loadStarted) / 1000;
    const cpuAfter = cpuSnapshot();
    const cores = coresByKind(cpuBefore, cpuAfter, elapsedS);
    const jit = coresByKind(cpuBefore, cpuAfter, elapsedS, { jit: true });
    log(
      `load done: ${int(result.succeeded)} accepted at ${int(result.achievedPerSecond)}/s; waiting for the followed orders`,
    );
    const deadline = Date.now() + 120_000;
    while (poller.pending > 0 && Date.now() < deadline) await sleep(200);
    const lost = poller.pending;
    await poller.stop();

    const row = (name: string, s: Summary) => [
      name,
      int(s.count),
      ms(s.p50),
      ms(s.p95),
      ms(s.p99),
      ms(s.max),
    ];
    const pipeline = summarize(latencies);
    const command = ['npx tsx bench/pipeline.ts', ...givenOptions()].join(' ');
    process.stdout.write(
      [
        `### End to end: command commit → visible in search`,
        '',
        `Reproduce: \`${command}\``,
        '',
        factsMarkdown(facts),
        '',
        `Commands: ${int(result.scheduled)} scheduled at ${int(RATE)}/s, ${int(result.succeeded)} accepted (${int(result.achievedPerSecond)}/s), ` +
          `${int(result.failed)} failed${result.errors.size > 0 ? ` (${[...result.errors].map(([error, n]) => `${n} × ${error}`).join('; ')})` : ''}, ${int(result.dropped)} dropped; command latency p99 ${ms(summarize(result.latenciesMs).p99)} ms. ` +
          `${lost} followed orders never became visible within 120 s.`,
        '',
        `Cores used during the load, by process (2 cores = the whole machine; "bench" is the command side and the ` +
          `poller, in this process): ${cores.map(([kind, n]) => `${kind} ${n.toFixed(2)}`).join(', ')}. ` +
          `Of which the JVMs' JIT compilers: ${jit.length > 0 ? jit.map(([kind, n]) => `${kind} ${n.toFixed(2)}`).join(', ') : 'none'}.`,
        '',
        table(
          ['measured', 'samples', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
          [
            row('commit → visible in search (pipeline)', pipeline),
            row('direct index write → visible (baseline: refresh + poll)', summarize(baseline)),
          ],
        ),
        '',
        table(
          ['target', 'measured', 'result'],
          [
            [
              `p99 < ${int(TARGET_P99_MS)} ms at ${int(RATE)} commands/s`,
              `p99 ${ms(pipeline.p99)} ms at ${int(result.achievedPerSecond)}/s accepted`,
              pipeline.p99 < TARGET_P99_MS && result.achievedPerSecond >= RATE * 0.95 && lost === 0
                ? 'met'
                : 'NOT met',
            ],
          ],
        ),
        '',
      ].join('\n'),
    );
  } finally {
    await stopChildren(children, 3_000);
    await dropInactiveSlot(executor, SLOT);
    await pool.end();
    await es.indices.delete({ index: `${config.indexPrefix}orders*` }).catch(() => undefined);
    await es.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/pipeline: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
