import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import {
  createEventStoreFor,
  createInventoryService,
  createOrderService,
  handlerSettingsOf,
} from '../src/commands';
import { pgExecutor } from '../src/db/executor';
import { buildFakeGateway, createGatewayClient, type FakeGateway } from '../src/gateway';
import {
  captureNext,
  fireNextTimer,
  readFulfilment,
  runSaga,
  sagaMetrics,
  startSaga,
  type ConsumedEvent,
  type SagaContext,
} from '../src/saga';
import { loadConfig } from '../src/config';
import { orderContracts, orderTopic } from '../src/contracts';
import { eventually, memoryLogger, startRelay } from './fixtures/relay';
import { openRolesFixture, type RolesFixture } from './fixtures/roles';

/**
 * The saga under its own PostgreSQL role (`db roles`, `setup`): every statement of its steps — the applied
 * ids, the saga's row locks and claims, its timers and steps, the appends of order, inventory and payment
 * events with their outbox entries — runs with the rights the grants table gives it, and no more.
 */

let fx: RolesFixture;
let sagaPool: Pool;
let apiPool: Pool;
let fake: FakeGateway;
let ctx: SagaContext;
let api: ReturnType<typeof createOrderService>;

const now = () => new Date().toISOString();

beforeAll(async () => {
  fx = await openRolesFixture(__filename);
  sagaPool = new Pool({ connectionString: fx.url('saga'), max: 4 });
  apiPool = new Pool({ connectionString: fx.url('api'), max: 4 });
  fake = buildFakeGateway({ apiKey: 'k' });
  await fake.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(fake.app.server.address() as AddressInfo).port}`;
  const store = createEventStoreFor(fx.config, sagaPool);
  ctx = {
    store,
    orders: createOrderService(fx.config, store),
    inventory: createInventoryService(handlerSettingsOf(fx.config, store)),
    gateway: createGatewayClient({ url, apiKey: 'k', timeoutMs: 300 }),
    logger: memoryLogger().logger,
    metrics: sagaMetrics(),
    now,
    paymentTimeoutMs: 60_000,
    reservationTimeoutMs: 120_000,
    appliedRetentionMs: 7 * 24 * 3_600_000,
    retryBaseMs: 50,
    retryMaxMs: 200,
  };
  const apiStore = createEventStoreFor(fx.config, apiPool);
  api = createOrderService(fx.config, apiStore);
  const stock = createInventoryService(handlerSettingsOf(fx.config, apiStore));
  await stock.executeInventory({ type: 'RestockInventory', sku: 'TEA-1', quantity: 10, at: now() });
}, 60_000);

afterAll(async () => {
  await fake?.app.close();
  await sagaPool?.end();
  await apiPool?.end();
  await fx?.close();
});

/** An order placed and confirmed through the API's role; its OrderConfirmed as the saga consumes it. */
async function confirmed(orderId: string): Promise<ConsumedEvent> {
  const customer = { id: 'c-1', name: 'Ada', email: 'ada@example.com' };
  const lines = [{ sku: 'TEA-1', name: 'Tea', quantity: 2, unitPrice: 300 }];
  await api.executeOrder({ type: 'CreateOrder', orderId, customer, lines, currency: 'EUR', at: now() });
  await api.executeOrder({ type: 'ConfirmOrder', orderId, at: now() });
  const event = (await api.history(orderId)).find((e) => e.type === 'OrderConfirmed')!;
  const state = (await api.getOrder(orderId))!;
  return { id: event.eventId, type: event.type, aggregateId: orderId, change: event.data, state };
}

const stateOf = async (orderId: string) => (await readFulfilment(pgExecutor(apiPool), orderId))?.state;

it('completes a saga: reserve, capture, record the payment, commit, ready to ship', async () => {
  expect(await startSaga(ctx, await confirmed('o-ok'))).toBe('handled');
  expect(await captureNext(ctx)).toBe(true);
  expect(await stateOf('o-ok')).toBe('completed');
  expect((await api.history('o-ok')).map((e) => e.type)).toContain('OrderReadyToShip');
});

it('compensates a declined payment: release and cancel', async () => {
  fake.faults.byOrder['o-declined'] = 'decline';
  await startSaga(ctx, await confirmed('o-declined'));
  expect(await captureNext(ctx)).toBe(true);
  expect(await stateOf('o-declined')).toBe('compensated');
  expect(await api.getOrder('o-declined')).toMatchObject({ status: 'cancelled' });
});

it('fires a payment timer: looks the capture up, releases, cancels', async () => {
  ctx.paymentTimeoutMs = 0;
  try {
    await startSaga(ctx, await confirmed('o-late'));
  } finally {
    ctx.paymentTimeoutMs = 60_000;
  }
  expect(await fireNextTimer(ctx)).toBe(true);
  expect(await stateOf('o-late')).toBe('timed_out');
});

it('the saga role may write outbox entries as logical messages (OUTBOX_MODE=message), as the API', async () => {
  const { rows } = await sagaPool.query(
    `select pg_logical_emit_message(true, 'tributary.test', '{}') as lsn`,
  );
  expect(rows[0].lsn).toEqual(expect.any(String));
});

it('the saga role may not read idempotency keys nor touch the read models', async () => {
  await expect(sagaPool.query('select * from idempotency_keys')).rejects.toMatchObject({ code: '42501' });
  await expect(sagaPool.query('delete from report_daily')).rejects.toMatchObject({ code: '42501' });
});

it('runs as a process under its own Kafka user, with only the ACLs setup gave it', async () => {
  const relay = startRelay(fx.config); // the publisher's side is not the saga's: as the fixture's super user
  const stop = new AbortController();
  const sagaKafka = loadConfig({
    ...process.env,
    DATABASE_URL: fx.url('saga'),
    TOPIC_PREFIX: fx.config.topicPrefix,
    KAFKA_USERNAME: `${fx.config.kafkaUserPrefix}saga`,
  });
  const running = runSaga(
    ctx,
    {
      connection: sagaKafka,
      groupId: `${fx.config.projectorGroupPrefix}saga`,
      topic: orderTopic(fx.config),
      contracts: orderContracts(fx.config.cloudEventTypePrefix),
      partitionsConsumedConcurrently: 1,
      captureConcurrency: 1,
      pollMs: 50,
    },
    stop.signal,
  );
  try {
    await relay.started();
    await confirmed('o-kafka');
    await eventually('the saga to complete', async () => (await stateOf('o-kafka')) === 'completed', 60_000);
  } finally {
    stop.abort();
    await running;
    await relay.stop();
  }
}, 90_000);
