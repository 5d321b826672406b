import { createOrderService } from '../../commands';
import type { Config } from '../../config';
import { pgExecutor } from '../../db/executor';
import {
  searchOrders,
  createSearchProjection,
  ensureOrdersIndex,
  ordersAlias,
  toSearchDocument,
  currentOrdersIndices,
} from '../search';
import { openStoreFixture, type StoreFixture } from '../../../test/fixtures/store';
import { startProjector } from '../../../test/fixtures/projector';
import { dropSlotWhenInactive, eventually, relaySlotName, startRelay } from '../../../test/fixtures/relay';
import { seededRandom } from '../../../test/fixtures/random';
import { orderWorkload } from '../../../test/fixtures/workload';
import { allOrderEvents } from './order-states';
import { rebuildSearch } from './search';

/**
 * Zero-downtime rebuilds on the whole pipeline: commands → event store → relay → Kafka → live projector,
 * while a rebuild from the event store runs and a reader keeps querying.
 */
let fx: StoreFixture;
let config: Config;

beforeAll(async () => {
  fx = await openStoreFixture(__filename, { poolSize: 8 });
  config = fx.configWith({ RELAY_SLOT: relaySlotName(fx.env.name, 'rebuild'), RELAY_METRICS_PORT: '0' });
});
afterAll(async () => {
  // Cleanup: a test that failed before the slot existed leaves none to drop.
  await dropSlotWhenInactive(fx.pool, config.relaySlot).catch(() => undefined);
  await fx.close();
});

/** Every order folded from the event store: what the read model must equal once the pipeline is quiet. */
async function ordersInStore() {
  const states = new Map<string, ReturnType<typeof toSearchDocument>>();
  for await (const page of allOrderEvents(pgExecutor(fx.pool))) {
    for (const event of page) states.set(event.aggregateId, toSearchDocument(event.state));
  }
  return states;
}

describe('rebuilding the search read model', () => {
  it('a rebuild while writes continue ends equal to the live read model, and queries are answered throughout', async () => {
    const es = fx.env.elasticsearch();
    await ensureOrdersIndex(es, config.indexPrefix);
    const relay = startRelay(config);
    await relay.started();
    const projector = startProjector(config, createSearchProjection({ es, prefix: config.indexPrefix }));
    const workload = orderWorkload(createOrderService(config, fx.store), seededRandom(21));
    try {
      for (let i = 0; i < 300; i++) await workload.step();
      await eventually('the live read model to hold the first orders', async () => {
        const result = await searchOrders(es, config.indexPrefix, { size: 1 });
        return result.total >= 50;
      });
      const indexBefore = await currentOrdersIndices(es, config.indexPrefix);

      let writing = true;
      const writer = (async () => {
        while (writing) await workload.step();
      })();
      let reading = true;
      const answers: number[] = [];
      const reader = (async () => {
        while (reading) {
          const result = await searchOrders(es, config.indexPrefix, { size: 5 });
          answers.push(result.total);
        }
      })();

      const result = await rebuildSearch({
        pool: fx.pool,
        es,
        prefix: config.indexPrefix,
        projection: createSearchProjection({ es, prefix: config.indexPrefix }),
      });
      for (let i = 0; i < 50; i++) await workload.step();
      writing = false;
      await writer;
      reading = false;
      await reader;

      expect(result.built).toBeGreaterThanOrEqual(50);
      expect(await currentOrdersIndices(es, config.indexPrefix)).not.toEqual(indexBefore);
      // Every query during the rebuild and the swap was answered, never from an empty or missing index.
      expect(answers.length).toBeGreaterThan(10);
      expect(Math.min(...answers)).toBeGreaterThanOrEqual(50);

      const expected = await ordersInStore();
      const documents = async () => {
        await es.indices.refresh({ index: ordersAlias(config.indexPrefix) });
        const hits = await es.search({
          index: ordersAlias(config.indexPrefix),
          size: 10_000,
          query: { match_all: {} },
        });
        return new Map(hits.hits.hits.map((hit) => [hit._id!, hit._source]));
      };
      const same = (actual: Map<string, unknown>) =>
        actual.size === expected.size &&
        [...expected].every(([id, doc]) => JSON.stringify(actual.get(id)) === JSON.stringify(doc));
      await eventually(
        'the read model to equal the event store',
        async () => same(await documents()),
        60_000,
        500,
      );
      const actual = await documents();
      expect(actual.size).toBe(expected.size);
      for (const [id, doc] of expected) expect(actual.get(id)).toEqual(doc);
    } finally {
      await projector.stop();
      await relay.stop();
    }
  });
});
