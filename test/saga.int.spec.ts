import { randomUUID } from 'node:crypto';
import type { OrderLine } from '../src/domain/orders/events';
import { evolveInventory, initialInventoryState, type InventoryEvent } from '../src/domain/inventory';
import { pgExecutor } from '../src/db/executor';
import { DECLINE_REASON } from '../src/gateway';
import { kafkaClient } from '../src/clients';
import { dlqTopic, orderTopic } from '../src/contracts';
import { DLQ_HEADERS } from '../src/projections/runtime';
import { captureKeyOf, pruneApplied, readFulfilment, reasons, startSaga, type Fulfilment } from '../src/saga';
import { expectProblem } from './api/client';
import { eventually, TopicReader } from './fixtures/relay';
import { startSecuredApi, type SecuredApi } from './security/api';
import { confirmedOrder as confirmOrder, startSagaHarness, type SagaHarness } from './fixtures/saga';
import { openStoreFixture, type StoreFixture } from './fixtures/store';

/**
 * The order-fulfilment saga on PostgreSQL and Kafka, with the fake gateway on a loopback port: every path ends
 * in the state it must (completed, compensated, timed out), the stock and the charges add up, and a
 * redelivered event changes nothing.
 */

let fx: StoreFixture;
const db = () => pgExecutor(fx.pool);
let saga: SagaHarness;
let api: SecuredApi;

beforeAll(async () => {
  fx = await openStoreFixture(__filename, { poolSize: 20 });
  saga = await startSagaHarness(fx, 'saga');
  api = await startSecuredApi(fx);
}, 60_000);

afterAll(async () => {
  await api?.close();
  await saga?.stop();
  await fx?.close();
}, 60_000);

const now = () => new Date().toISOString();
const line = (sku: string, quantity: number, unitPrice = 500): OrderLine => ({
  sku,
  name: `item ${sku}`,
  quantity,
  unitPrice,
});

/** A fresh SKU name per test, so tests share no stock. */
const sku = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

async function restock(name: string, quantity: number): Promise<void> {
  await saga.inventory.executeInventory({ type: 'RestockInventory', sku: name, quantity, at: now() });
}

/** Places and confirms an order; returns its id. */
const confirmedOrder = (lines: OrderLine[], orderId?: string) => confirmOrder(saga, lines, orderId);

async function ended(orderId: string, timeoutMs = 30_000): Promise<Fulfilment> {
  return eventually(
    `the saga of ${orderId} to end`,
    async () => {
      const fulfilment = await readFulfilment(db(), orderId);
      return fulfilment && ['completed', 'compensated', 'timed_out'].includes(fulfilment.state) && fulfilment;
    },
    timeoutMs,
  );
}

/** Confirms the order, waits until its saga is capturing (its capture held), and cancels it as the customer. */
async function cancelWhileCapturing(orderId: string, lines: OrderLine[], reason: string): Promise<void> {
  await confirmedOrder(lines, orderId);
  await eventually(
    'the saga to capture',
    async () => (await readFulfilment(db(), orderId))?.state === 'capturing',
  );
  await saga.orders.executeOrder({ type: 'CancelOrder', orderId, reason, at: now() });
}

async function stockOf(name: string) {
  return (await saga.inventory.getStock(name))!;
}

const stepsOf = (fulfilment: Fulfilment) => fulfilment.steps.map((s) => `${s.step}:${s.outcome}`);

describe('the fulfilment saga', () => {
  it('success: stock reserved then committed, paid once, the order ready to ship by the saga', async () => {
    const tea = sku('TEA');
    await restock(tea, 10);
    const orderId = await confirmedOrder([line(tea, 2)]);
    const fulfilment = await ended(orderId);
    expect(fulfilment.state).toBe('completed');
    expect(stepsOf(fulfilment)).toEqual([
      'started:done',
      'reserve:done',
      'capture:done',
      'record-payment:done',
      'commit-reservations:done',
      'ready-to-ship:done',
    ]);
    expect(fulfilment.compensations).toEqual([]);
    expect(await stockOf(tea)).toMatchObject({ onHand: 8, reserved: 0, available: 8 });
    const capture = await saga.ctx.gateway.findCapture(captureKeyOf(orderId));
    expect(capture).toMatchObject({ status: 'captured', amount: 1000, refundedAmount: 0 });

    const history = await saga.orders.history(orderId);
    const confirmed = history.find((e) => e.type === 'OrderConfirmed')!;
    const ready = history.find((e) => e.type === 'OrderReadyToShip')!;
    expect(ready.metadata).toMatchObject({ actor: 'saga', causationId: confirmed.eventId });
    expect(await saga.orders.getOrder(orderId)).toMatchObject({ status: 'confirmed' });
  });

  it('decline: the stock released and the order cancelled with the reason', async () => {
    const tea = sku('TEA');
    await restock(tea, 5);
    const orderId = `o-${randomUUID()}`;
    saga.fake.faults.byOrder[orderId] = 'decline';
    await confirmedOrder([line(tea, 3)], orderId);
    const fulfilment = await ended(orderId);
    expect(fulfilment.state).toBe('compensated');
    expect(fulfilment.reason).toBe(`payment declined: ${DECLINE_REASON}`);
    expect(fulfilment.compensations.map((s) => s.step)).toEqual(['release', 'cancel-order']);
    expect(await stockOf(tea)).toMatchObject({ onHand: 5, reserved: 0, available: 5 });
    const order = await saga.orders.getOrder(orderId);
    expect(order).toMatchObject({ status: 'cancelled', cancellationReason: fulfilment.reason });
    const cancelled = (await saga.orders.history(orderId)).find((e) => e.type === 'OrderCancelled')!;
    expect(cancelled.metadata).toMatchObject({ actor: 'saga' });
  });

  it('out of stock on one line: nothing captured, every reservation released, the order cancelled', async () => {
    const tea = sku('TEA');
    const cup = sku('CUP');
    await restock(tea, 4);
    await restock(cup, 1);
    const orderId = await confirmedOrder([line(tea, 2), line(cup, 2)]);
    const fulfilment = await ended(orderId);
    expect(fulfilment.state).toBe('compensated');
    expect(fulfilment.reason).toBe(`out of stock: ${cup}`);
    expect(stepsOf(fulfilment)).toEqual([
      'started:done',
      'reserve:done',
      'reserve:failed',
      'release:compensation',
      'cancel-order:compensation',
    ]);
    expect(await saga.ctx.gateway.findCapture(captureKeyOf(orderId))).toBeUndefined();
    expect(await stockOf(tea)).toMatchObject({ onHand: 4, available: 4, reserved: 0 });
    expect(await stockOf(cup)).toMatchObject({ onHand: 1, available: 1, reserved: 0 });
    expect(await saga.orders.getOrder(orderId)).toMatchObject({ cancellationReason: `out of stock: ${cup}` });
  });

  it('a lost capture answer: reconciled by its key, charged once, completed', async () => {
    const tea = sku('TEA');
    await restock(tea, 3);
    const orderId = `o-${randomUUID()}`;
    saga.fake.faults.byOrder[orderId] = 'lost-answer';
    const before = { ...saga.fake.stats };
    await confirmedOrder([line(tea, 1)], orderId);
    const fulfilment = await ended(orderId);
    expect(fulfilment.state).toBe('completed');
    expect(saga.fake.stats.captured - before.captured).toBe(1);
    expect(saga.fake.stats.capturedAmount - before.capturedAmount).toBe(500);
    expect(await stockOf(tea)).toMatchObject({ onHand: 2, reserved: 0 });
  });

  it('a payment never captured: the timer fires, the stock is released and the order cancelled', async () => {
    const tea = sku('TEA');
    await restock(tea, 3);
    const orderId = `o-${randomUUID()}`;
    saga.fake.faults.byOrder[orderId] = 'timeout';
    saga.ctx.paymentTimeoutMs = 1_500;
    try {
      await confirmedOrder([line(tea, 2)], orderId);
      await eventually('the saga to start', () => readFulfilment(db(), orderId));
    } finally {
      saga.ctx.paymentTimeoutMs = 60_000;
    }
    const fulfilment = await ended(orderId);
    expect(fulfilment.state).toBe('timed_out');
    expect(fulfilment.reason).toBe('payment not captured in time');
    expect(stepsOf(fulfilment)).toContain('capture:retrying');
    expect(stepsOf(fulfilment).slice(-3)).toEqual([
      'timer-fired:failed',
      'release:compensation',
      'cancel-order:compensation',
    ]);
    expect(await stockOf(tea)).toMatchObject({ onHand: 3, available: 3, reserved: 0 });
    expect(await saga.orders.getOrder(orderId)).toMatchObject({
      status: 'cancelled',
      cancellationReason: 'payment not captured in time',
    });
    const timers = await fx.pool.query('select 1 from saga_timers where order_id = $1', [orderId]);
    expect(timers.rowCount).toBe(0);
  });

  it('a payment timer fires after the saga process restarted, though it came due while nothing ran', async () => {
    const tea = sku('TEA');
    await restock(tea, 1);
    const orderId = `o-${randomUUID()}`;
    saga.fake.faults.byOrder[orderId] = 'timeout';
    saga.ctx.paymentTimeoutMs = 1_000;
    try {
      await confirmedOrder([line(tea, 1)], orderId);
      await eventually('the saga to start', () => readFulfilment(db(), orderId));
    } finally {
      saga.ctx.paymentTimeoutMs = 60_000;
    }
    await saga.stopSaga();
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect((await readFulfilment(db(), orderId))?.state).toBe('capturing'); // due, and nobody to fire it
    } finally {
      saga.startSaga();
    }
    const fulfilment = await ended(orderId);
    expect(fulfilment.state).toBe('timed_out');
    expect(await stockOf(tea)).toMatchObject({ available: 1, reserved: 0 });
  });

  it('an order cancelled before the saga saw its confirmation: nothing reserved, nothing charged', async () => {
    const tea = sku('TEA');
    await restock(tea, 2);
    const before = { ...saga.fake.stats };
    await saga.stopSaga();
    let orderId: string;
    try {
      orderId = await confirmedOrder([line(tea, 1)]);
      await saga.orders.executeOrder({ type: 'CancelOrder', orderId, reason: 'too slow', at: now() });
    } finally {
      saga.startSaga();
    }
    const fulfilment = await ended(orderId);
    expect(fulfilment.state).toBe('compensated');
    expect(stepsOf(fulfilment)).toEqual(['started:done', 'customer-cancelled:failed']);
    expect(saga.fake.stats.captures).toBe(before.captures);
    const events = await fx.store.readStream(`inventory-${tea}`);
    expect(events.map((e) => e.type)).toEqual(['StockReceived']);
  });

  it('a customer cancelling while the capture is on its way: the capture refunded, the stock released', async () => {
    const tea = sku('TEA');
    await restock(tea, 6);
    const orderId = `o-${randomUUID()}`;
    const release = saga.hold(orderId);
    const before = { ...saga.fake.stats };
    try {
      await cancelWhileCapturing(orderId, [line(tea, 2)], 'changed my mind');
    } finally {
      release();
    }
    const fulfilment = await ended(orderId);
    expect(fulfilment.state).toBe('compensated');
    expect(fulfilment.reason).toBe('cancelled by the customer');
    expect(fulfilment.compensations.map((s) => s.step)).toEqual(['refund', 'release']);
    expect(saga.fake.stats.refundedAmount - before.refundedAmount).toBe(1000);
    expect(await saga.ctx.gateway.findCapture(captureKeyOf(orderId))).toMatchObject({ refundedAmount: 1000 });
    expect(await stockOf(tea)).toMatchObject({ onHand: 6, available: 6, reserved: 0 });
    expect(await saga.orders.getOrder(orderId)).toMatchObject({ cancellationReason: 'changed my mind' });
  });

  it('a customer cancelling while the capture is retried: nothing captured, the stock released', async () => {
    const tea = sku('TEA');
    await restock(tea, 2);
    const orderId = `o-${randomUUID()}`;
    saga.fake.faults.byOrder[orderId] = 'fail';
    await confirmedOrder([line(tea, 2)], orderId);
    await eventually('a failed capture attempt', async () =>
      (await readFulfilment(db(), orderId))?.steps.some((s) => s.outcome === 'retrying'),
    );
    await saga.orders.executeOrder({ type: 'CancelOrder', orderId, reason: 'found it cheaper', at: now() });
    const fulfilment = await ended(orderId);
    expect(fulfilment.state).toBe('compensated');
    expect(fulfilment.compensations.map((s) => s.step)).toEqual(['release']);
    expect(await saga.ctx.gateway.findCapture(captureKeyOf(orderId))).toBeUndefined();
    expect(await stockOf(tea)).toMatchObject({ available: 2, reserved: 0 });
  });

  it('a customer cancelling after the payment was recorded, before ready to ship: nothing of the completion stays', async () => {
    const tea = sku('TEA');
    await restock(tea, 3);
    const orderId = `o-${randomUUID()}`;
    const before = { ...saga.fake.stats };
    const real = saga.ctx.orders;
    // The customer's cancellation commits (on its own connection) just after the saga's transaction recorded
    // the payment: the saga's MarkReadyToShip meets a cancelled order.
    saga.ctx.orders = {
      ...real,
      async executePayment(command, options) {
        const result = await real.executePayment(command, options);
        if (command.type === 'RecordPayment' && command.orderId === orderId)
          await real.executeOrder({ type: 'CancelOrder', orderId, reason: 'too late', at: now() });
        return result;
      },
    };
    try {
      await confirmedOrder([line(tea, 2)], orderId);
      const fulfilment = await ended(orderId);
      expect(fulfilment.state).toBe('compensated');
      expect(fulfilment.reason).toBe('cancelled by the customer');
      expect(stepsOf(fulfilment)).toEqual([
        'started:done',
        'reserve:done',
        'capture:done',
        'refund:compensation',
        'release:compensation',
      ]);
    } finally {
      saga.ctx.orders = real;
    }
    expect(saga.fake.stats.refundedAmount - before.refundedAmount).toBe(1000);
    expect(await saga.ctx.gateway.findCapture(captureKeyOf(orderId))).toMatchObject({ refundedAmount: 1000 });
    expect(await stockOf(tea)).toMatchObject({ onHand: 3, available: 3, reserved: 0 });
    const payments = await fx.pool.query(
      `select 1 from events where event_type = 'PaymentRecorded' and data->>'orderId' = $1`,
      [orderId],
    );
    expect(payments.rowCount).toBe(0);
    const types = (await fx.store.readStream(`inventory-${tea}`)).map((e) => e.type);
    expect(types).toEqual(['StockReceived', 'StockReserved', 'StockReleased']);
    expect(await saga.orders.getOrder(orderId)).toMatchObject({ cancellationReason: 'too late' });
  });

  it('a compensation that rolled back after the gateway refunded: refunded once, and the refund recorded', async () => {
    const tea = sku('TEA');
    await restock(tea, 2);
    const orderId = `o-${randomUUID()}`;
    const before = { ...saga.fake.stats };
    const real = saga.ctx.inventory;
    let failures = 0;
    // The first release fails (as a lost connection would), after the refund: its transaction rolls back.
    saga.ctx.inventory = {
      ...real,
      async executeInventory(command, options) {
        if (command.type === 'ReleaseStock' && command.orderId === orderId && failures++ === 0)
          throw new Error('connection lost (injected)');
        return real.executeInventory(command, options);
      },
    };
    const release = saga.hold(orderId);
    try {
      await cancelWhileCapturing(orderId, [line(tea, 1)], 'oops');
      release();
      const fulfilment = await ended(orderId);
      expect(fulfilment.state).toBe('compensated');
      const refunds = fulfilment.compensations.filter((s) => s.step === 'refund');
      expect(refunds).toHaveLength(1);
      expect(refunds[0]!.detail).toMatchObject({ amount: 500, refundedBefore: true });
    } finally {
      release();
      saga.ctx.inventory = real;
    }
    expect(failures).toBeGreaterThanOrEqual(2);
    expect(saga.fake.stats.refunds - before.refunds).toBe(1);
    expect(saga.fake.stats.refundedAmount - before.refundedAmount).toBe(500);
    expect(await stockOf(tea)).toMatchObject({ onHand: 2, available: 2, reserved: 0 });
  });

  it('a redelivered OrderConfirmed changes nothing', async () => {
    const tea = sku('TEA');
    await restock(tea, 4);
    const orderId = await confirmedOrder([line(tea, 1)]);
    const first = await ended(orderId);
    const confirmed = (await saga.orders.history(orderId)).find((e) => e.type === 'OrderConfirmed')!;
    const state = (await saga.orders.getOrder(orderId, { version: confirmed.version }))!;
    const again = {
      id: confirmed.eventId,
      type: 'OrderConfirmed',
      aggregateId: orderId,
      change: confirmed.data,
      state,
    };
    expect(await startSaga(saga.ctx, again)).toBe('duplicate');
    // Its applied id pruned (SAGA_APPLIED_RETENTION_MS): the saga row still stops a second start.
    await fx.pool.query(`delete from saga_applied_events where event_id = $1`, [confirmed.eventId]);
    expect(await startSaga(saga.ctx, again)).toBe('ignored');
    expect(await readFulfilment(db(), orderId)).toEqual(first);
    expect(await stockOf(tea)).toMatchObject({ onHand: 3, reserved: 0 });
    const events = await fx.pool.query(`select 1 from events where stream_id = $1`, [`inventory-${tea}`]);
    expect(events.rowCount).toBe(3); // received, reserved, committed
  });

  it('stock held too long: the reservation timer fires first, the stock is released and the order cancelled', async () => {
    const tea = sku('TEA');
    await restock(tea, 2);
    const orderId = `o-${randomUUID()}`;
    saga.fake.faults.byOrder[orderId] = 'timeout';
    saga.ctx.reservationTimeoutMs = 1_000;
    try {
      await confirmedOrder([line(tea, 2)], orderId);
      await eventually('the saga to start', () => readFulfilment(db(), orderId));
    } finally {
      saga.ctx.reservationTimeoutMs = 120_000;
    }
    const fulfilment = await ended(orderId);
    expect(fulfilment).toMatchObject({ state: 'timed_out', reason: reasons.heldTooLong });
    expect(stepsOf(fulfilment).slice(-3)).toEqual([
      'timer-fired:failed',
      'release:compensation',
      'cancel-order:compensation',
    ]);
    expect(fulfilment.steps.at(-3)?.detail).toMatchObject({ kind: 'reservation' });
    expect(await stockOf(tea)).toMatchObject({ onHand: 2, available: 2, reserved: 0 });
    expect(await saga.orders.getOrder(orderId)).toMatchObject({
      status: 'cancelled',
      cancellationReason: reasons.heldTooLong,
    });
  });

  it('the ids of events applied longer ago than the retention are pruned, the recent ones kept', async () => {
    const [old, recent] = [`old-${randomUUID()}`, `recent-${randomUUID()}`];
    await fx.pool.query(
      `insert into saga_applied_events (event_id, applied_at) values ($1, now() - interval '8 days'), ($2, now())`,
      [old, recent],
    );
    expect(await pruneApplied(db(), 7 * 24 * 3_600_000)).toBeGreaterThanOrEqual(1);
    const { rows } = await fx.pool.query<{ event_id: string }>(
      `select event_id from saga_applied_events where event_id = any($1)`,
      [[old, recent]],
    );
    expect(rows.map((row) => row.event_id)).toEqual([recent]);
    await fx.pool.query(`delete from saga_applied_events where event_id = $1`, [recent]); // no event of Kafka's
  });
});

describe('dead letters', () => {
  it('a message that is no order event goes to the dead-letter topic with the reason; the saga goes on', async () => {
    const tea = sku('TEA');
    await restock(tea, 1);
    const orderId = `o-${randomUUID()}`;
    const kafka = kafkaClient(saga.config, { clientId: 'test-poison' });
    const producer = kafka.producer();
    await producer.connect();
    try {
      // Keyed like the order, so it sits on the order's partition ahead of its events.
      await producer.send({
        topic: orderTopic(saga.config),
        messages: [{ key: orderId, value: 'not a cloud event', headers: { note: 'poison' } }],
      });
    } finally {
      await producer.disconnect();
    }
    await confirmedOrder([line(tea, 1)], orderId);
    expect((await ended(orderId)).state).toBe('completed');
    const reader = await TopicReader.open(kafka, [dlqTopic(orderTopic(saga.config))]);
    try {
      const found = await reader.waitFor((all) => all.some((r) => r.key === orderId));
      expect(found).toBe(true);
      const letter = reader.received.find((r) => r.key === orderId)!;
      expect(letter.value.toString()).toBe('not a cloud event');
      expect(letter.headers).toMatchObject({ note: 'poison', [DLQ_HEADERS.projector]: 'saga' });
      expect(letter.headers[DLQ_HEADERS.reason]).toMatch(/^not an order event: /);
    } finally {
      await reader.close();
    }
    expect(await saga.ctx.metrics.deadLetters.get()).toMatchObject({ values: [{ value: 1 }] });
  });
});

describe('redelivery through Kafka', () => {
  it('the whole order topic consumed again from its start changes no saga, no stock and no charge', async () => {
    const tea = sku('TEA');
    await restock(tea, 5);
    const orderId = await confirmedOrder([line(tea, 2)]);
    await ended(orderId);
    const sagas = async () =>
      (
        await fx.pool.query(
          `select order_id, state, data, (select count(*) from saga_steps s where s.order_id = g.order_id) as steps from sagas g order by order_id`,
        )
      ).rows;
    const before = { sagas: await sagas(), stock: await stockOf(tea), stats: { ...saga.fake.stats } };
    const duplicates = async () => (await saga.ctx.metrics.duplicates.get()).values[0]?.value ?? 0;
    const seen = await duplicates();
    const applied = Number((await fx.pool.query(`select count(*) as n from saga_applied_events`)).rows[0].n);

    await saga.stopSaga();
    try {
      await saga.rewind();
    } finally {
      saga.startSaga();
    }
    await eventually(
      'every applied event to be consumed again',
      async () => (await duplicates()) - seen >= applied,
      60_000,
    );
    expect(await sagas()).toEqual(before.sagas);
    expect(await stockOf(tea)).toEqual(before.stock);
    expect(saga.fake.stats.captures).toBe(before.stats.captures);
    expect(saga.fake.stats.refunds).toBe(before.stats.refunds);
  }, 90_000);
});

describe('GET /orders/:id/fulfilment', () => {
  it("shows the customer their own order's steps with times; others and unknown orders get 404", async () => {
    const tea = sku('TEA');
    await restock(tea, 2);
    const orderId = await confirmedOrder([line(tea, 1)]);
    await ended(orderId);
    const own = await api.asRole('customer', 'c-1').get(`/orders/${orderId}/fulfilment`);
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({
      orderId,
      state: 'completed',
      amount: 500,
      currency: 'EUR',
      reason: null,
      compensations: [],
    });
    const steps = own.json<Fulfilment>().steps;
    expect(steps.map((s) => s.step)).toEqual([
      'started',
      'reserve',
      'capture',
      'record-payment',
      'commit-reservations',
      'ready-to-ship',
    ]);
    expect(steps.every((s) => !Number.isNaN(Date.parse(s.at)))).toBe(true);
    expectProblem(await api.asRole('customer', 'c-2').get(`/orders/${orderId}/fulfilment`), 404);
    expect((await api.asRole('support').get(`/orders/${orderId}/fulfilment`)).statusCode).toBe(200);
    expectProblem(await api.asRole('support').get('/orders/no-such-order/fulfilment'), 404);
  });
});

describe('competing sagas', () => {
  it('200 orders for 50 units of one SKU: exactly 50 committed, the rest compensated, stock never below 0', async () => {
    const tea = sku('TEA');
    await restock(tea, 50);
    const ids = Array.from({ length: 200 }, () => `o-${randomUUID()}`);
    for (let i = 0; i < ids.length; i += 20) {
      await Promise.all(ids.slice(i, i + 20).map((id) => confirmedOrder([line(tea, 1)], id)));
    }
    const ends = await Promise.all(ids.map((id) => ended(id, 120_000)));
    const completed = ends.filter((f) => f.state === 'completed').length;
    expect(completed).toBe(50);
    expect(ends.filter((f) => f.state === 'compensated').length).toBe(150);
    expect(await stockOf(tea)).toMatchObject({ onHand: 0, reserved: 0, available: 0 });

    const stored = await fx.store.readStream(`inventory-${tea}`);
    let state = initialInventoryState();
    let committed = 0;
    for (const { type, schemaVersion, data } of stored) {
      const event = { type, schemaVersion, data } as InventoryEvent;
      state = evolveInventory(state, event);
      if (event.type === 'ReservationCommitted') committed++;
      expect(state.onHand - state.reserved).toBeGreaterThanOrEqual(0);
    }
    expect(committed).toBe(50);
  }, 180_000);
});
