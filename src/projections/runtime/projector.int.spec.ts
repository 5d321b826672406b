import type { Client as ElasticClient } from '@elastic/elasticsearch';
import { elasticsearchClient } from '../../clients';
import type { Admin, Producer } from 'kafkajs';
import { Pool } from 'pg';
import type { Config } from '../../config';
import { migrate } from '../../db/data-source';
import { pgExecutor } from '../../db/executor';
import { orderSchemaVersions } from '../../domain/orders/events';
import { dlqTopic, orderContracts, orderPayloadUpcasters, orderTopic } from '../../contracts';
import { createSearchProjection, ensureOrdersIndex, ordersAlias, toSearchDocument } from '../search';
import type { ProjectionEvent } from '../types';
import { isolate, type Isolated } from '../../../test/harness';
import { line } from '../../../test/fixtures/orders';
import {
  interleave,
  orderHistory,
  randomOrderHistory,
  toRelayMessage,
} from '../../../test/fixtures/projection-events';
import { startProjector } from '../../../test/fixtures/projector';
import { seededRandom } from '../../../test/fixtures/random';
import { sleep } from '../../../test/fixtures/events';
import { eventually } from '../../../test/fixtures/relay';
import { startTcpProxy } from '../../../test/fixtures/tcp-proxy';
import { ensureTopics } from '../../setup';
import { listDeadLetters } from './store/dead-letters';
import { replayDeadLetters } from './replay';
import { DLQ_HEADERS } from './dead-letter';
import { withSessionOptions } from '../../db/pool';

/**
 * The projector runtime against the real Kafka, Elasticsearch and PostgreSQL, feeding the search read model
 * from CloudEvents as the relay publishes them.
 */

let env: Isolated;
let config: Config;
let es: ElasticClient;
let pool: Pool;
let producer: Producer;
let admin: Admin;
let topic: string;

beforeAll(async () => {
  env = await isolate(__filename);
  config = env.config;
  await migrate(config);
  pool = new Pool({ connectionString: withSessionOptions(config.databaseUrl), max: 4 });
  es = env.elasticsearch();
  await ensureOrdersIndex(es, config.indexPrefix);
  topic = orderTopic(config);
  await ensureTopics(env.kafka(), [topic, dlqTopic(topic)], 3);
  producer = env.kafka().producer();
  await producer.connect();
  admin = env.kafka().admin();
  await admin.connect();
});

afterAll(async () => {
  await producer.disconnect();
  await admin.disconnect();
  await pool.end();
  await env.cleanup();
});

async function publish(
  events: ProjectionEvent[],
  tamper?: (event: ProjectionEvent) => Record<string, string>,
) {
  await producer.send({
    topic,
    acks: -1,
    messages: events.map((event) => {
      const message = toRelayMessage(event);
      for (const [name, value] of Object.entries(tamper?.(event) ?? {}))
        message.headers[name] = Buffer.from(value);
      return { key: message.key, value: message.value, headers: message.headers };
    }),
  });
}

async function searchDocuments(ids: string[]): Promise<Map<string, unknown>> {
  await es.indices.refresh({ index: ordersAlias(config.indexPrefix) });
  const result = await es.search({
    index: ordersAlias(config.indexPrefix),
    size: 1000,
    query: { ids: { values: ids } },
  });
  return new Map(result.hits.hits.map((hit) => [hit._id!, hit._source]));
}

/** Waits until every order's document is its final state, as one clean delivery would leave it. */
async function expectDocumentsToBe(finals: ProjectionEvent[], timeoutMs = 60_000) {
  await eventually(
    'documents to equal the final states',
    async () => {
      const docs = await searchDocuments(finals.map((e) => e.aggregateId));
      return finals.every(
        (e) => JSON.stringify(docs.get(e.aggregateId)) === JSON.stringify(toSearchDocument(e.state)),
      );
    },
    timeoutMs,
    250,
  );
  const docs = await searchDocuments(finals.map((e) => e.aggregateId));
  for (const final of finals) expect(docs.get(final.aggregateId)).toEqual(toSearchDocument(final.state));
}

const lastOf = (history: ProjectionEvent[]) => history[history.length - 1]!;

async function committedTotal(): Promise<number> {
  const [offsets] = await admin.fetchOffsets({
    groupId: `${config.projectorGroupPrefix}search`,
    topics: [topic],
  });
  return offsets!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

async function topicTotal(name: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(name);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

describe('the search projector', () => {
  const projection = () => createSearchProjection({ es, prefix: config.indexPrefix });

  it('redelivered duplicates and older copies arriving late leave every document equal to one clean delivery', async () => {
    const random = seededRandom(11);
    const histories = Array.from({ length: 25 }, () => randomOrderHistory(random));
    const clean = interleave(random, histories);
    // Everything twice, then each aggregate's events again in reverse: stale copies after newer ones.
    const messy = [...clean, ...clean, ...histories.flatMap((history) => [...history].reverse())];
    const projector = startProjector(config, projection());
    try {
      await publish(messy);
      await expectDocumentsToBe(histories.map(lastOf));
      await eventually(
        'every offset committed',
        async () => (await committedTotal()) === (await topicTotal(topic)),
      );
    } finally {
      await projector.stop();
    }
    expect((await listDeadLetters(pgExecutor(pool), { projector: 'search' })).length).toBe(0);
  });

  it('Elasticsearch unreachable for 30 s mid-stream: the projector retries, commits no offset past the failure, and loses nothing', async () => {
    const [host, port] = config.elasticsearchUrl.replace(/^https?:\/\//, '').split(':');
    const proxy = await startTcpProxy(host!, Number(port));
    const throughProxy = elasticsearchClient(
      { ...config, elasticsearchUrl: `https://${proxy.address}` },
      { requestTimeout: 5_000, maxRetries: 0 },
    );
    const random = seededRandom(12);
    const before = Array.from({ length: 10 }, () => randomOrderHistory(random));
    const during = Array.from({ length: 10 }, () => randomOrderHistory(random));
    const projector = startProjector(
      config,
      createSearchProjection({ es: throughProxy, prefix: config.indexPrefix }),
    );
    try {
      await publish(interleave(random, before));
      await expectDocumentsToBe(before.map(lastOf));
      await eventually(
        'offsets committed',
        async () => (await committedTotal()) === (await topicTotal(topic)),
      );
      const committedBefore = await committedTotal();

      proxy.cut();
      await publish(interleave(random, during));
      const outageEnds = Date.now() + 30_000;
      while (Date.now() < outageEnds) {
        expect(await committedTotal()).toBe(committedBefore);
        await sleep(2_000);
      }
      const docs = await searchDocuments(during.map((h) => lastOf(h).aggregateId));
      expect(docs.size).toBe(0);
      proxy.restore();

      await expectDocumentsToBe([...before, ...during].map(lastOf));
      await eventually(
        'offsets committed after recovery',
        async () => (await committedTotal()) === (await topicTotal(topic)),
      );
      const retries = (await projector.metrics.retries.get()).values.reduce((sum, v) => sum + v.value, 0);
      expect(retries).toBeGreaterThan(0);
      expect(projector.lines.some((l) => l.msg === 'applying a batch failed; retrying')).toBe(true);
    } finally {
      await projector.stop();
      await throughProxy.close();
      await proxy.close();
    }
  });

  it('a poison event is dead-lettered with its reason, its aggregate held, others go on; a replay after the fix applies them in order', async () => {
    const at = (minute: number) => new Date(Date.UTC(2026, 10, 20, 9, minute)).toISOString();
    const poisoned = 'order-poisoned';
    const history = orderHistory(poisoned, [
      {
        type: 'CreateOrder',
        orderId: poisoned,
        customer: { id: 'c-9', name: 'Pat', email: 'pat@example.com' },
        lines: [line('sku-a')],
        currency: 'EUR',
        at: at(1),
      },
      { type: 'AddOrderLine', orderId: poisoned, line: line('sku-b'), at: at(2) },
      { type: 'AddOrderLine', orderId: poisoned, line: line('sku-c'), at: at(3) },
      { type: 'RemoveOrderLine', orderId: poisoned, sku: 'sku-a', at: at(4) },
      { type: 'ConfirmOrder', orderId: poisoned, at: at(5) },
    ]);
    expect(history.map((e) => e.type)).toEqual([
      'OrderCreated',
      'OrderLineAdded',
      'OrderLineAdded',
      'OrderLineRemoved',
      'OrderConfirmed',
    ]);
    const others = Array.from({ length: 5 }, () => randomOrderHistory(seededRandom(13)));
    // A newer deployment's producer wrote OrderLineAdded v2: this deployment does not know it.
    const newerVersion = (event: ProjectionEvent): Record<string, string> =>
      event.aggregateId === poisoned && event.type === 'OrderLineAdded'
        ? { ce_type: 'io.tributary.order.line.added.v2' }
        : {};
    const dlqBefore = await topicTotal(dlqTopic(topic));
    const projector = startProjector(config, projection());
    try {
      await publish([...history.slice(0, 4), ...others.flat()], newerVersion);
      await expectDocumentsToBe(others.map(lastOf));
      await eventually('3 dead letters', async () => (await topicTotal(dlqTopic(topic))) - dlqBefore === 3);
      expect((await searchDocuments([poisoned])).get(poisoned)).toEqual(toSearchDocument(history[0]!.state));

      const letters = await listDeadLetters(pgExecutor(pool), { projector: 'search', aggregateId: poisoned });
      expect(letters.map((l) => [l.eventId, l.status])).toEqual(
        history.slice(1, 4).map((e) => [e.id, 'parked']),
      );
      expect(letters[0]!.reason).toMatch(/io.tributary.order.line.added.v2 is a newer schema version/);
      expect(letters[2]!.reason).toBe(`aggregate parked behind ${history[1]!.id}`);
      const dlq = await readDeadLetters(dlqTopic(topic), poisoned);
      expect(dlq.map((m) => m.headers[DLQ_HEADERS.reason])).toEqual(letters.map((l) => l.reason));
      expect(dlq[0]!.headers.ce_id).toBe(history[1]!.id);

      // Held while parked: the next event is dead-lettered too, never applied past the gap.
      await publish([history[4]!]);
      await eventually('4th dead letter', async () => (await topicTotal(dlqTopic(topic))) - dlqBefore === 4);
      expect((await searchDocuments([poisoned])).get(poisoned)).toEqual(toSearchDocument(history[0]!.state));

      // The fix: a deployment that knows OrderLineAdded v2 (same shape) replays.
      const fixed = orderContracts(
        config.cloudEventTypePrefix,
        { ...orderSchemaVersions, OrderLineAdded: 2 },
        {
          ...orderPayloadUpcasters,
          OrderLineAdded: { 1: (payload) => payload },
        },
      );
      const applied: number[] = [];
      const search = projection();
      const result = await replayDeadLetters(
        pool,
        {
          name: 'search',
          apply: async (events) => (applied.push(...events.map((e) => e.version)), search.apply(events)),
        },
        fixed,
      );
      expect(result).toEqual({ replayed: 4, unparked: [poisoned], stillFailing: [] });
      expect(applied).toEqual([2, 3, 4, 5]);
      expect((await searchDocuments([poisoned])).get(poisoned)).toEqual(toSearchDocument(history[4]!.state));

      // Unparked: the live projector applies the aggregate's next events again.
      const more = randomOrderHistory(seededRandom(14), poisoned);
      expect(more[0]!.version).toBe(1); // a stale copy of a first event: ignored, not parked
      await publish([more[0]!]);
      await eventually(
        'no new dead letter; committed',
        async () => (await committedTotal()) === (await topicTotal(topic)),
      );
      expect(await topicTotal(dlqTopic(topic))).toBe(dlqBefore + 4);
    } finally {
      await projector.stop();
    }
  });
});

/** The dead letters of one aggregate on the DLQ topic, in order (one key, one partition). */
async function readDeadLetters(
  name: string,
  aggregateId: string,
): Promise<{ headers: Record<string, string> }[]> {
  const consumer = env.kafka().consumer({ groupId: `reader-${Math.random()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: name, fromBeginning: true });
  const out: { headers: Record<string, string>; offset: number }[] = [];
  let seen = 0;
  const total = await topicTotal(name);
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen += 1;
      if (message.key?.toString() !== aggregateId) return;
      out.push({
        offset: Number(message.offset),
        headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
      });
    },
  });
  await eventually('dead letters read', () => seen >= total);
  await consumer.disconnect();
  return out.sort((a, b) => a.offset - b.offset);
}
