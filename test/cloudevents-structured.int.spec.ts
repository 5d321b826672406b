import { randomUUID } from 'node:crypto';
import { isRetriable } from '../src/errors';
import { createEventStoreFor, createOrderService } from '../src/commands';
import { line } from './fixtures/orders';
import { seededRandom } from './fixtures/random';
import { startPipeline, type InProcessPipeline } from './fixtures/pipeline';
import { eventually, readUntilAll } from './fixtures/relay';
import { openStoreFixture, type StoreFixture } from './fixtures/store';
import { orderWorkload } from './fixtures/workload';

/**
 * Structured content mode (CLOUDEVENT_MODE=structured) end to end on the real Kafka: the relay publishes each
 * event as one JSON document with the CloudEvents content type, and both projectors build their read models
 * from it as they do from binary mode; `verify` reads the records' ids from the JSON value; each aggregate type
 * is its own `source`.
 */
let fx: StoreFixture;
let pipeline: InProcessPipeline;

beforeAll(async () => {
  fx = await openStoreFixture(__filename, { settings: { CLOUDEVENT_MODE: 'structured' } });
  pipeline = await startPipeline(fx, 'structured');
});

afterAll(async () => {
  await pipeline?.stop();
  await fx?.close();
});

it('carries orders and payments relay → Kafka → both projectors in structured mode', async () => {
  const service = createOrderService(fx.config, createEventStoreFor(fx.config, fx.pool));
  const workload = orderWorkload(service, seededRandom(21));
  for (let i = 0; i < 80; i++) await workload.step();
  // And payments, which the workload does not make: a payment topic with its own source.
  for (let i = 0; i < 3; i++) {
    const orderId = randomUUID();
    const at = new Date().toISOString();
    await service.executeOrder({
      type: 'CreateOrder',
      orderId,
      customer: { id: 'cust-pay', name: 'Payer', email: 'payer@example.com' },
      lines: [line('SKU-1', 1, 1_000)],
      currency: 'EUR',
      at,
    });
    await service.executePayment(
      {
        type: 'RecordPayment',
        paymentId: randomUUID(),
        orderId,
        amount: 500,
        currency: 'EUR',
        method: 'card',
        at,
      },
      {},
    );
  }
  const { rows } = await fx.pool.query<{ id: string }>('select event_id::text as id from events');

  const report = await eventually(
    'both read models to agree with the event store',
    async () => {
      // A broker that just created the topics may still answer NOT_LEADER to verify's offset lookup: retriable.
      const result = await pipeline.verify().catch((error: unknown) => {
        if (isRetriable(error)) return undefined;
        throw error;
      });
      return result?.ok ? result : undefined;
    },
    90_000,
    1_000,
  );
  expect(report.problems).toEqual([]);

  const topics = ['order', 'payment'].map((type) => `${fx.config.topicPrefix}${type}`);
  const records = await readUntilAll(
    fx.env.kafka(),
    topics,
    rows.map((row) => row.id),
  );
  expect(new Set(records.map((record) => record.id))).toEqual(new Set(rows.map((row) => row.id)));
  for (const record of records) {
    expect(record.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
    expect(Object.keys(record.headers).filter((name) => name.startsWith('ce_'))).toEqual([]);
    const event = JSON.parse(record.value.toString()) as { source: string; specversion: string };
    expect(event.specversion).toBe('1.0');
    expect(event.source).toBe(`/tributary/${record.topic.slice(fx.config.topicPrefix.length)}`);
  }
  expect(new Set(records.map((record) => record.topic))).toEqual(new Set(topics));
});
