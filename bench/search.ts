import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Client } from '@elastic/elasticsearch';
import { loadConfig } from '../src/config';
import {
  createSearchProjection,
  ordersAlias,
  searchOrders,
  type SearchParams,
} from '../src/projections/search';
import type { ProjectionEvent } from '../src/projections/types';
import { FIXTURE_VOCABULARY, interleave, randomOrderHistory } from '../test/fixtures/projection-events';
import { between, pick, seededRandom } from '../test/fixtures/random';
import { assertLoopback } from './lib/db';
import { LAST_NAMES, productWord, shopCatalog } from './lib/catalog';
import { collectFacts, factsMarkdown, packageVersion } from './lib/facts';
import { int, ms, table } from './lib/markdown';
import { choiceOption, givenOptions, numberOption } from './lib/options';
import { summarize, type Summary } from './lib/stats';
import { elasticsearchClient } from '../src/clients';

/**
 * The search read model: how many events per second the search projection applies into Elasticsearch, and
 * how fast searches answer over the orders it wrote. Events are realistic order histories from the real
 * decider (test/fixtures/projection-events.ts), interleaved across `--window` orders as Kafka would deliver
 * them, and handed to `projection.apply` in batches of `--batch`, one batch at a time like the runtime.
 * Only the time inside `apply` counts; generating the events does not. Then `--queries` searches of a
 * mix of kinds (after `--warmups`), one at a time, timed around `searchOrders` (request to parsed result).
 *
 *   npx tsx bench/search.ts [--orders=100000] [--vocabulary=shop|tests] [--batch=2000] [--window=2000]
 *                           [--queries=500] [--warmups=50]
 *
 * `--vocabulary=shop` (the default) draws orders from a shop-sized catalog (bench/lib/catalog.ts): one
 * customer per 10 orders, 2,000 products, skewed popularity, so searches are as selective as real ones.
 * `--vocabulary=tests` uses the tests' 20 customers and 6 products: every search then matches 15–50% of the
 * index, the worst case for exact totals, facets and relevance ranking.
 *
 * Owns the indices `bench-search-*` on the loopback Elasticsearch: deleted at the start of a run, left in
 * place afterwards for inspection.
 */

const PREFIX = 'bench-search-';
const TARGET_EVENTS_PER_S = 10_000;
const TARGET_P99_MS = 50;
const TARGET_ORDERS = 1_000_000;

const orders = numberOption('orders', 'BENCH_ORDERS', 100_000);
const batchSize = numberOption('batch', 'BENCH_BATCH', 2000);
const windowSize = numberOption('window', 'BENCH_WINDOW', 2000);
const queries = numberOption('queries', 'BENCH_QUERIES', 500);
const warmups = numberOption('warmups', 'BENCH_WARMUPS', 50);
const seed = numberOption('seed', 'BENCH_SEED', 1);
const vocabularyName = choiceOption('vocabulary', 'BENCH_VOCABULARY', ['shop', 'tests'], 'shop');
const PRODUCTS = 2_000;
const catalog = shopCatalog({ customers: Math.max(20, Math.floor(orders / 10)), products: PRODUCTS });
const vocabulary = vocabularyName === 'shop' ? catalog.vocabulary : FIXTURE_VOCABULARY;

const log = (line: string) => process.stderr.write(`[bench:search] ${line}\n`);

/** Batches of events as the runtime would pass them: `window` orders interleaved, cut every `batch` events. */
function* batches(random: () => number): Generator<ProjectionEvent[]> {
  let pending: ProjectionEvent[] = [];
  for (let done = 0; done < orders; done += windowSize) {
    const count = Math.min(windowSize, orders - done);
    pending.push(
      ...interleave(
        random,
        Array.from({ length: count }, () => randomOrderHistory(random, undefined, vocabulary)),
      ),
    );
    while (pending.length >= batchSize) {
      yield pending.slice(0, batchSize);
      pending = pending.slice(batchSize);
    }
  }
  if (pending.length > 0) yield pending;
}

interface Indexing {
  events: number;
  batches: number;
  applySeconds: number;
  batchMs: Summary;
  /** CPU seconds Elasticsearch and this process (inside `apply` only) spent on the events. */
  esCpuSeconds: number;
  clientCpuSeconds: number;
}

/**
 * CPU seconds the Elasticsearch node has used so far (from its own node stats). The machine may be shared
 * and busy: CPU per event is comparable across runs where events per second of wall time are not.
 */
async function esCpuSeconds(es: Client): Promise<number> {
  const stats = await es.nodes.stats({ metric: 'process', filter_path: 'nodes.*.process.cpu' });
  const node = Object.values(stats.nodes)[0];
  return (node?.process?.cpu?.total_in_millis ?? Number.NaN) / 1000;
}

async function index(es: Client): Promise<Indexing> {
  const projection = createSearchProjection({ es, prefix: PREFIX });
  const random = seededRandom(seed);
  const batchMs: number[] = [];
  let events = 0;
  let clientMicros = 0;
  const esBefore = await esCpuSeconds(es);
  for (const batch of batches(random)) {
    const started = performance.now();
    const cpu = process.cpuUsage();
    await projection.apply(batch);
    const used = process.cpuUsage(cpu);
    clientMicros += used.user + used.system;
    batchMs.push(performance.now() - started);
    events += batch.length;
    if (batchMs.length % 50 === 0) log(`${int(events)} events applied`);
  }
  const applySeconds = batchMs.reduce((sum, x) => sum + x, 0) / 1000;
  return {
    events,
    batches: batchMs.length,
    applySeconds,
    batchMs: summarize(batchMs),
    // Includes merges running after the last batch only until this reading; close enough over many batches.
    esCpuSeconds: (await esCpuSeconds(es)) - esBefore,
    clientCpuSeconds: clientMicros / 1e6,
  };
}

const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara'];
const SKUS = ['sku-a', 'sku-b', 'sku-c', 'sku-d', 'sku-e', 'sku-f'];
const STATUSES = ['pending', 'confirmed', 'cancelled'] as const;
const day = (d: number) => `2026-11-${String(d).padStart(2, '0')}T00:00:00Z`;

/** The kinds of search in the mix over the tests' vocabulary, each a function of the PRNG. */
const TESTS_KINDS: Record<string, (random: () => number) => SearchParams> = {
  'newest, no filter': () => ({}),
  'full text (name)': (random) => ({ q: pick(random, FIRST_NAMES) }),
  'full text + status': (random) => ({ q: `item ${pick(random, SKUS)}`, status: [pick(random, STATUSES)] }),
  'status, by amount': (random) => ({ status: [pick(random, STATUSES)], sort: '-totalAmount' }),
  customer: (random) => ({ customerId: `cust-${between(random, 0, 19)}` }),
  'amount range': (random) => {
    const min = between(random, 0, 20_000);
    return { minAmount: min, maxAmount: min + between(random, 100, 5000), sort: 'totalAmount' };
  },
  'date range': (random) => {
    const from = between(random, 1, 20);
    return { createdFrom: day(from), createdTo: day(from + between(random, 1, 7)) };
  },
  'sku + currency': (random) => ({ sku: pick(random, SKUS), currency: pick(random, ['EUR', 'USD', 'GBP']) }),
};

/**
 * The same kinds over the shop catalog, where names, words and SKUs are as selective as in real data, plus
 * the searches a support desk runs most: a customer's email and an order id pasted into the search box.
 */
const SHOP_KINDS: Record<string, (random: () => number) => SearchParams> = {
  'newest, no filter': () => ({}),
  'full text (last name)': (random) => ({ q: pick(random, LAST_NAMES) }),
  'full text + status': (random) => ({ q: productWord(random), status: [pick(random, STATUSES)] }),
  'status, by amount': TESTS_KINDS['status, by amount']!,
  customer: (random) => ({ customerId: catalog.popularCustomer(random).id }),
  'amount range': TESTS_KINDS['amount range']!,
  'date range': TESTS_KINDS['date range']!,
  'sku + currency': (random) => ({
    sku: catalog.popularProduct(random).sku,
    currency: pick(random, ['EUR', 'USD', 'GBP']),
  }),
  'email (exact)': (random) => ({ q: catalog.popularCustomer(random).email }),
};
const KINDS = vocabularyName === 'shop' ? SHOP_KINDS : TESTS_KINDS;

interface Queried {
  kind: string;
  summary: Summary;
}

interface Searched {
  byKind: Queried[];
  all: Summary;
  secondPage: Summary;
  /** Elasticsearch CPU milliseconds per search (first and next pages alike). */
  esCpuMsPerSearch: number;
}

async function query(es: Client): Promise<Searched> {
  const random = seededRandom(seed + 1);
  const kinds = Object.keys(KINDS);
  const samples = new Map<string, number[]>(kinds.map((kind) => [kind, []]));
  const secondPage: number[] = [];
  let esBefore = Number.NaN;
  for (let i = 0; i < warmups + queries; i++) {
    if (i === warmups) esBefore = await esCpuSeconds(es);
    const kind = kinds[i % kinds.length]!;
    const params = KINDS[kind]!(random);
    const started = performance.now();
    const result = await searchOrders(es, PREFIX, params);
    const elapsed = performance.now() - started;
    if (i < warmups) continue;
    samples.get(kind)!.push(elapsed);
    // Every fourth search also follows its cursor: search_after must cost no more than the first page.
    if (i % 4 === 0 && result.nextCursor !== null) {
      const next = performance.now();
      await searchOrders(es, PREFIX, { ...params, cursor: result.nextCursor });
      secondPage.push(performance.now() - next);
    }
  }
  const esSeconds = (await esCpuSeconds(es)) - esBefore;
  return {
    byKind: kinds.map((kind) => ({ kind, summary: summarize(samples.get(kind)!) })),
    all: summarize([...samples.values()].flat()),
    secondPage: summarize(secondPage),
    esCpuMsPerSearch: (esSeconds * 1000) / (queries + secondPage.length),
  };
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  assertLoopback(config.elasticsearchUrl);
  const es = elasticsearchClient(config);
  const alias = ordersAlias(PREFIX);
  try {
    await es.indices.delete({ index: `${PREFIX}*`, allow_no_indices: true });
    const nodes = await es.nodes.info({ filter_path: 'nodes.*.version' });
    const esVersion = Object.values(nodes.nodes).map((node) => node.version)[0] ?? 'unknown';
    const facts = await collectFacts(config, [
      ['Elasticsearch', `${esVersion} (one node, one shard, no replica)`],
      ['@elastic/elasticsearch', packageVersion('@elastic/elasticsearch')],
      [
        'bench',
        `search: ${int(orders)} orders (${vocabularyName === 'shop' ? `shop vocabulary: ${int(catalog.customers.length)} customers, ${int(PRODUCTS)} products` : 'tests vocabulary: 20 customers, 6 products'}), batches of ${batchSize} events over ${windowSize} interleaved orders`,
      ],
    ]);

    log(`indexing ${int(orders)} orders`);
    const indexing = await index(es);
    await es.indices.refresh({ index: alias });
    const stats = await es.indices.stats({ index: alias, metric: ['docs', 'store'] });
    const docs = stats._all.primaries?.docs?.count ?? Number.NaN;
    const storeBytes = stats._all.primaries?.store?.size_in_bytes ?? Number.NaN;
    if (docs !== orders) throw new Error(`expected ${orders} documents, found ${docs}`);

    log(`running ${warmups} + ${queries} searches`);
    const searched = await query(es);

    const eventsPerS = indexing.events / indexing.applySeconds;
    const perTenThousand = (seconds: number) => ((seconds * 10_000) / indexing.events).toFixed(2);
    const cell = (s: Summary) => `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.p99)} / ${ms(s.max)} (${s.count})`;
    const command = ['npx tsx bench/search.ts', ...givenOptions()].join(' ');
    process.stdout.write(
      [
        '### Search read model: projector throughput and query latency',
        '',
        `Reproduce: \`${command}\``,
        '',
        factsMarkdown(facts),
        '',
        table(
          [
            'events applied',
            'batches',
            'seconds in apply',
            'events/s',
            'batch ms p50 / p95 / max',
            'CPU s per 10k events: ES / client',
            'documents',
            'index size',
          ],
          [
            [
              int(indexing.events),
              int(indexing.batches),
              indexing.applySeconds.toFixed(1),
              int(eventsPerS),
              `${ms(indexing.batchMs.p50)} / ${ms(indexing.batchMs.p95)} / ${ms(indexing.batchMs.max)}`,
              `${perTenThousand(indexing.esCpuSeconds)} / ${perTenThousand(indexing.clientCpuSeconds)}`,
              int(docs),
              `${(storeBytes / 2 ** 20).toFixed(0)} MiB`,
            ],
          ],
        ),
        '',
        `CPU per event does not depend on what else runs on the machine; events/s does (load average at the ` +
          `end: ${loadavg()
            .map((l) => l.toFixed(2))
            .join(' / ')}).`,
        '',
        `Searches, one at a time, timed around \`searchOrders\`; each cell is p50 / p95 / p99 / max in ms (count):`,
        '',
        table(
          ['search', 'latency'],
          [
            ...searched.byKind.map((q) => [q.kind, cell(q.summary)]),
            ['next page (search_after)', cell(searched.secondPage)],
            ['**all first pages**', cell(searched.all)],
          ],
        ),
        '',
        `Elasticsearch CPU per search: ${ms(searched.esCpuMsPerSearch)} ms.`,
        '',
        table(
          ['target', 'measured', 'result'],
          [
            [
              `apply >= ${int(TARGET_EVENTS_PER_S)} events/s`,
              `${int(eventsPerS)} events/s`,
              eventsPerS >= TARGET_EVENTS_PER_S ? 'met' : 'NOT met',
            ],
            [
              `search p99 < ${TARGET_P99_MS} ms at ${int(TARGET_ORDERS)} orders`,
              `p99 ${ms(searched.all.p99)} ms at ${int(docs)} orders`,
              docs < TARGET_ORDERS
                ? 'not measured at the target size'
                : searched.all.p99 < TARGET_P99_MS
                  ? 'met'
                  : 'NOT met',
            ],
          ],
        ),
        '',
      ].join('\n'),
    );
  } finally {
    await es.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
