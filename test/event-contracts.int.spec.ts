import { randomUUID } from 'node:crypto';
import { loadSchemaRegistry } from '../src/cli/schemas';
import { createEventStoreFor, createOrderService } from '../src/commands';
import type { Config } from '../src/config';
import { pgExecutor } from '../src/db/executor';
import { listDeadLetters } from '../src/relay/dead-letters/resolve';
import { expectServedAndValid } from './fixtures/contracts';
import { line } from './fixtures/orders';
import { seededRandom } from './fixtures/random';
import {
  dropSlotWhenInactive,
  eventually,
  readUntilAll,
  relaySlotName,
  startRelay,
  type InProcessRelay,
} from './fixtures/relay';
import { openStoreFixture, type StoreFixture } from './fixtures/store';
import { orderWorkload } from './fixtures/workload';

/**
 * The event contracts on the real PostgreSQL and Kafka: every record the relay publishes names in
 * `dataschema` a schema the API serves, and its data matches that schema; with validation before publishing
 * (RELAY_VALIDATE_SCHEMAS), an event that does not match becomes a relay dead letter with the reason while
 * the rest of the stream flows.
 */
let fx: StoreFixture;
let config: Config;
let relay: InProcessRelay;

beforeAll(async () => {
  fx = await openStoreFixture(__filename, { poolSize: 8 });
  config = fx.configWith({
    RELAY_SLOT: relaySlotName(fx.env.name, 'contracts'),
    RELAY_METRICS_PORT: '0',
    RELAY_HEARTBEAT_MS: '500',
    RELAY_VALIDATE_SCHEMAS: 'true',
  });
  relay = startRelay(config, { validate: loadSchemaRegistry().validate });
  await relay.started();
}, 120_000);

afterAll(async () => {
  await relay?.stop().catch(() => undefined);
  if (fx) await dropSlotWhenInactive(fx.pool, config.relaySlot);
  await fx?.close();
});

const topics = () => [`${config.topicPrefix}order`, `${config.topicPrefix}payment`];

it('every record after an order workload has a dataschema the API serves, and its data matches that schema', async () => {
  const service = createOrderService(config, createEventStoreFor(config, fx.pool));
  const workload = orderWorkload(service, seededRandom(7));
  for (let i = 0; i < 60; i++) await workload.step();
  const orderId = randomUUID();
  const at = new Date().toISOString();
  const customer = { id: 'cust-1', name: 'Ada', email: 'ada@example.com' };
  await service.executeOrder({
    type: 'CreateOrder',
    orderId,
    customer,
    lines: [line('SKU-1', 2, 1_000)],
    currency: 'EUR',
    at,
  });
  const paymentId = randomUUID();
  await service.executePayment(
    { type: 'RecordPayment', paymentId, orderId, amount: 2_000, currency: 'EUR', method: 'card', at },
    {},
  );
  await service.executePayment(
    { type: 'RefundPayment', paymentId, amount: 500, currency: 'EUR', reason: 'damaged', at },
    {},
  );

  const { rows } = await fx.pool.query<{ id: string }>('select event_id::text as id from events');
  const records = await readUntilAll(
    fx.env.kafka(),
    topics(),
    rows.map((row) => row.id),
  );
  expect(new Set(records.map((record) => record.id))).toEqual(new Set(rows.map((row) => row.id)));

  const served = await expectServedAndValid(records, config);
  expect(served.some((uri) => uri.endsWith('/payment/PaymentRefunded/v1.json'))).toBe(true);
}, 180_000);

it('an event that does not match its schema becomes a relay dead letter with the reason; other orders keep flowing', async () => {
  const bad = randomUUID();
  const invalid = (data: Record<string, unknown>) => ({
    streamId: `order-${bad}`,
    streamType: 'order',
    expected: 'any' as const,
    events: [{ eventId: randomUUID(), type: 'OrderCreated', schemaVersion: 2, data }],
  });
  // Appended without the command handler: its outbox payload has no `state`, which every order event carries.
  const first = invalid({ orderId: bad });
  const later = invalid({ orderId: bad, again: true });
  await fx.store.append(first);
  const service = createOrderService(config, createEventStoreFor(config, fx.pool));
  const good = randomUUID();
  const at = new Date().toISOString();
  const customer = { id: 'cust-2', name: 'Grace', email: 'grace@example.com' };
  await service.executeOrder({
    type: 'CreateOrder',
    orderId: good,
    customer,
    lines: [line('SKU-2', 1, 300)],
    currency: 'EUR',
    at,
  });
  await fx.store.append(later);

  const open = await eventually('the schema dead letter with its parked event', async () => {
    const letters = await listDeadLetters(pgExecutor(fx.pool), config.relaySlot);
    return letters.length === 1 && letters[0]!.parked === 1 ? letters : undefined;
  });
  expect(open[0]).toMatchObject({ eventId: first.events[0]!.eventId, aggregate: `order/order-${bad}` });
  expect(open[0]!.reason).toMatch(
    /failed schema validation: OrderCreated v2 does not match schema order\/OrderCreated\/v2\.json: .*must have required property 'state'/,
  );

  const { rows } = await fx.pool.query<{ id: string }>(
    `select event_id::text as id from events where stream_id = $1`,
    [`order-${good}`],
  );
  const records = await readUntilAll(fx.env.kafka(), topics(), [rows[0]!.id]);
  const ids = new Set(records.map((record) => record.id));
  expect(ids.has(rows[0]!.id)).toBe(true);
  expect(ids.has(first.events[0]!.eventId)).toBe(false);
  expect(ids.has(later.events[0]!.eventId)).toBe(false);
}, 120_000);
