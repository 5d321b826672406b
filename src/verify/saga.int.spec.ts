import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { pgExecutor } from '../db/executor';
import type { OrderLine } from '../domain/orders/events';
import { captureKeyOf, readFulfilment } from '../saga';
import { openStoreFixture, type StoreFixture } from '../../test/fixtures/store';
import { confirmedOrder as confirmOrder, startSagaHarness, type SagaHarness } from '../../test/fixtures/saga';
import { eventually } from '../../test/fixtures/relay';
import { checkSagas, type CaptureLookup } from './saga';

/**
 * The saga check on real sagas (PostgreSQL, Kafka, the fake gateway): it passes once they ended, counts a
 * saga still waiting for its capture as in progress, and catches damage done behind the saga's back. Each
 * damage is made in a transaction the test rolls back, so the tests share one healthy state.
 */

let fx: StoreFixture;
let saga: SagaHarness;
const orders: Record<string, string> = {};

const now = () => new Date().toISOString();
const line = (sku: string, quantity: number): OrderLine => ({
  sku,
  name: `item ${sku}`,
  quantity,
  unitPrice: 500,
});
const lookup: CaptureLookup = (orderId) => saga.ctx.gateway.findCapture(captureKeyOf(orderId));

const confirmedOrder = (lines: OrderLine[], orderId?: string) => confirmOrder(saga, lines, orderId);

async function ended(orderId: string): Promise<string> {
  return eventually(`the saga of ${orderId} to end`, async () => {
    const state = (await readFulfilment(pgExecutor(fx.pool), orderId))?.state;
    return state && ['completed', 'compensated', 'timed_out'].includes(state) && state;
  });
}

/** Runs `damage` then the check in one transaction, rolled back whatever happened. */
async function checkedAfter(damage: (client: PoolClient) => Promise<unknown>, withGateway = false) {
  const client = await fx.pool.connect();
  try {
    await client.query('begin');
    await damage(client);
    return await checkSagas(pgExecutor(client), {}, withGateway ? lookup : undefined);
  } finally {
    await client.query('rollback');
    client.release();
  }
}

const row = (out: Awaited<ReturnType<typeof checkSagas>>, name: string) =>
  out.results.find((r) => r.name === name)!;

beforeAll(async () => {
  fx = await openStoreFixture(__filename, { poolSize: 12 });
  saga = await startSagaHarness(fx, 'verify-saga');
  const tea = `TEA-${randomUUID().slice(0, 8)}`;
  const cup = `CUP-${randomUUID().slice(0, 8)}`;
  await saga.inventory.executeInventory({ type: 'RestockInventory', sku: tea, quantity: 10, at: now() });
  await saga.inventory.executeInventory({ type: 'RestockInventory', sku: cup, quantity: 1, at: now() });
  const declined = `o-${randomUUID()}`;
  const lost = `o-${randomUUID()}`;
  saga.fake.faults.byOrder[declined] = 'decline';
  saga.fake.faults.byOrder[lost] = 'lost-answer';
  // One after the other: the completed order and the out-of-stock one compete for the only cup.
  orders.completed = await confirmedOrder([line(tea, 2), line(cup, 1)]);
  await ended(orders.completed);
  orders.declined = await confirmedOrder([line(tea, 1)], declined);
  orders.outOfStock = await confirmedOrder([line(cup, 1)]);
  orders.lost = await confirmedOrder([line(tea, 1)], lost);
  for (const id of Object.values(orders)) await ended(id);
}, 90_000);

afterAll(async () => {
  await saga?.stop();
  await fx?.close();
}, 60_000);

describe('the saga check', () => {
  it('passes once every saga ended: states, payments, steps, stock and the gateway agree', async () => {
    const states = Object.fromEntries(
      await Promise.all(Object.entries(orders).map(async ([k, id]) => [k, await ended(id)])),
    );
    expect(states).toEqual({
      completed: 'completed',
      declined: 'compensated',
      outOfStock: 'compensated',
      lost: 'completed',
    });
    const out = await checkSagas(pgExecutor(fx.pool), {}, lookup);
    expect(out.problems).toEqual([]);
    expect(out.inProgress).toBe(0);
    expect(out.results.map((r) => [r.name, r.checked])).toEqual([
      ['saga states', 4],
      ['saga payments', 6], // 2 payments, 2 capture steps, 2 completed sagas
      ['saga steps', expect.any(Number)],
      ['saga stock', 2],
      ['gateway captures', 3], // the out-of-stock order never asked
    ]);
  });

  it('a saga waiting for its capture, its timer ahead, is in progress, not a failure', async () => {
    const tea = `TEA-${randomUUID().slice(0, 8)}`;
    await saga.inventory.executeInventory({ type: 'RestockInventory', sku: tea, quantity: 1, at: now() });
    const orderId = `o-${randomUUID()}`;
    const release = saga.hold(orderId);
    try {
      await confirmedOrder([line(tea, 1)], orderId);
      await eventually(
        'the saga to capture',
        async () => (await readFulfilment(pgExecutor(fx.pool), orderId))?.state === 'capturing',
      );
      const out = await checkSagas(pgExecutor(fx.pool), {});
      expect(out.inProgress).toBe(1);
      expect(out.problems).toEqual([]);
      expect(out.notes).toEqual(['saga: 1 sagas still in progress (a timer ahead); not counted as failures']);
    } finally {
      release();
    }
    expect(await ended(orderId)).toBe('completed');
  });

  it('a deleted commit: the reservation still held for a completed saga, the stock off', async () => {
    const out = await checkedAfter(async (client) => {
      await client.query(`set local tributary.maintenance = 'on'`); // an owner's reviewed change, gone wrong
      await client.query(
        `delete from events where event_type = 'ReservationCommitted' and data->>'orderId' = $1`,
        [orders.completed],
      );
    });
    const stock = row(out, 'saga stock');
    expect(stock.missing).toBe(2);
    expect(stock.mismatched).toBe(4); // per SKU: the reservation still held, the stock off
    expect(out.problems.map((p) => p.id)).toContain(orders.completed);
    expect(out.problems.map((p) => p.detail).join('\n')).toMatch(
      /still held for order .*, whose saga is completed/,
    );
  });

  it('a capture step inserted twice, a second OrderReadyToShip: both flagged as duplicates', async () => {
    const out = await checkedAfter(async (client) => {
      await client.query(
        `insert into saga_steps (order_id, seq, step, outcome) values ($1, 1000, 'capture', 'done')`,
        [orders.completed],
      );
      await client.query(
        `insert into events (stream_id, stream_type, stream_version, event_id, event_type, schema_version, data, occurred_at)
         select stream_id, stream_type, stream_version + 100, gen_random_uuid(), event_type, schema_version, data, occurred_at
           from events where stream_id = $1 and event_type = 'OrderReadyToShip'`,
        [`order-${orders.lost}`],
      );
    });
    expect(row(out, 'saga steps').duplicated).toBe(1);
    expect(row(out, 'saga payments').duplicated).toBe(1);
    expect(out.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: orders.completed,
          detail: `order ${orders.completed}: capture done 2 times`,
        }),
        expect.objectContaining({
          id: orders.lost,
          detail: `order ${orders.lost} has 2 OrderReadyToShip events`,
        }),
      ]),
    );
  });

  it('a saga stuck without a timer, and a charge at the gateway the saga never learned of', async () => {
    const { outOfStock, declined } = orders;
    await saga.ctx.gateway.capture({
      idempotencyKey: captureKeyOf(outOfStock!),
      orderId: outOfStock!,
      amount: 500,
      currency: 'EUR',
    });
    const out = await checkedAfter(async (client) => {
      await client.query(`update sagas set state = 'capturing' where order_id = $1`, [declined]);
      await client.query(
        `insert into saga_steps (order_id, seq, step, outcome) values ($1, 1000, 'capture', 'retrying')`,
        [outOfStock],
      );
    }, true);
    expect(row(out, 'saga states').mismatched).toBe(1);
    expect(row(out, 'gateway captures').mismatched).toBe(1);
    expect(out.problems.map((p) => p.detail)).toEqual(
      expect.arrayContaining([
        `saga stuck in capturing: it has no timer`,
        `order ${outOfStock} (saga compensated) is charged 500 at the gateway and not refunded`,
      ]),
    );
    await saga.ctx.gateway.refund({
      idempotencyKey: `refund-${outOfStock}`,
      captureId: (await lookup(outOfStock!))!.id,
      amount: 500,
    });
  });
});
