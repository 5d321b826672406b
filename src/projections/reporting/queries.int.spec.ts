import { randomUUID } from 'node:crypto';
import type { OrderView } from '../../domain/orders/view';
import { pgExecutor, type Executor } from '../../db/executor';
import { openStoreFixture, type StoreFixture } from '../../../test/fixtures/store';
import type { ProjectionEvent } from '../types';
import { createReportingProjection } from './projection';
import { customerReport } from './queries/customer-report';
import { dailyReport } from './queries/daily-report';
import { topSkus } from './queries/top-skus';
import { resetReportTables } from '../../../test/fixtures/report-rows';

/** The report queries on tables the projector wrote from hand-made orders. */

let fx: StoreFixture;
let executor: Executor;
beforeAll(async () => {
  fx = await openStoreFixture(__filename);
  executor = pgExecutor(fx.pool);
});
afterAll(() => fx.close());
beforeEach(() => resetReportTables(fx.pool));

type Line = [sku: string, name: string, quantity: number, unitPrice: number];

function order(
  id: string,
  change: Partial<Omit<OrderView, 'lines'>> & { lines?: Line[]; customerId?: string; customerName?: string },
): OrderView {
  const lines = (change.lines ?? [['sku-a', 'Widget', 1, 100]]).map(([sku, name, quantity, unitPrice]) => ({
    sku,
    name,
    quantity,
    unitPrice,
    lineTotal: quantity * unitPrice,
  }));
  const { customerId = 'c-1', customerName = 'Ada', ...rest } = change;
  return {
    id,
    status: 'confirmed',
    customer: { id: customerId, name: customerName, email: `${customerName.toLowerCase()}@example.com` },
    totalAmount: lines.reduce((sum, line) => sum + line.lineTotal, 0),
    currency: 'EUR',
    salesChannel: 'web',
    createdAt: '2026-11-02T10:00:00.000Z',
    updatedAt: '2026-11-02T10:00:00.000Z',
    confirmedAt: null,
    cancelledAt: null,
    cancellationReason: null,
    version: 1,
    ...rest,
    lines,
  };
}

const eventOf = (state: OrderView, i: number): ProjectionEvent => ({
  id: randomUUID(),
  type: 'OrderCreated',
  schemaVersion: 2,
  aggregateId: state.id,
  version: state.version,
  time: state.updatedAt,
  change: {},
  state,
  position: { topic: 'order', partition: 0, offset: String(i) },
});

const project = (orders: OrderView[]) =>
  createReportingProjection({ pool: fx.pool }).apply(orders.map(eventOf));

describe('the report queries', () => {
  it('the daily report lists the days of the range by day, currency and status, optionally in one currency', async () => {
    await project([
      order('o-1', { createdAt: '2026-10-31T23:59:59.999Z' }),
      order('o-2', { createdAt: '2026-11-01T00:00:00.000Z', status: 'pending' }),
      order('o-3', { createdAt: '2026-11-01T12:00:00.000Z', currency: 'USD' }),
      order('o-4', { createdAt: '2026-11-03T00:00:00.000+01:00' }),
      order('o-5', { createdAt: '2026-11-03T12:00:00.000Z', lines: [['sku-b', 'Gadget', 2, 450]] }),
    ]);
    expect(await dailyReport(executor, { from: '2026-11-01', to: '2026-11-02' })).toEqual([
      { day: '2026-11-01', status: 'pending', currency: 'EUR', orders: 1, revenue: 100 },
      { day: '2026-11-01', status: 'confirmed', currency: 'USD', orders: 1, revenue: 100 },
      // 2026-11-03T00:00+01:00 is the 2nd in UTC.
      { day: '2026-11-02', status: 'confirmed', currency: 'EUR', orders: 1, revenue: 100 },
    ]);
    expect(await dailyReport(executor, { from: '2026-11-01', to: '2026-11-30', currency: 'USD' })).toEqual([
      { day: '2026-11-01', status: 'confirmed', currency: 'USD', orders: 1, revenue: 100 },
    ]);
    expect(await dailyReport(executor, { from: '2026-11-03', to: '2026-11-03' })).toEqual([
      { day: '2026-11-03', status: 'confirmed', currency: 'EUR', orders: 1, revenue: 900 },
    ]);
    expect(await dailyReport(executor, { from: '2027-01-01', to: '2027-01-31' })).toEqual([]);
  });

  it("the customer report gives totals per currency, named as on the customer's latest order; unknown is null", async () => {
    await project([
      order('o-1', { createdAt: '2026-11-01T10:00:00.000Z', customerName: 'Ada' }),
      order('o-2', { createdAt: '2026-11-05T10:00:00.000Z', customerName: 'Ada L', status: 'cancelled' }),
      order('o-3', { createdAt: '2026-11-03T10:00:00.000Z', status: 'pending', currency: 'GBP' }),
      order('o-4', { createdAt: '2026-11-09T10:00:00.000Z', customerId: 'c-2' }),
    ]);
    expect(await customerReport(executor, 'c-1')).toEqual({
      customerId: 'c-1',
      name: 'Ada L',
      email: 'ada l@example.com',
      totals: [
        {
          currency: 'EUR',
          orders: 2,
          pendingOrders: 0,
          confirmedOrders: 1,
          cancelledOrders: 1,
          lifetimeRevenue: 100,
          firstOrderAt: '2026-11-01T10:00:00.000Z',
          lastOrderAt: '2026-11-05T10:00:00.000Z',
        },
        {
          currency: 'GBP',
          orders: 1,
          pendingOrders: 1,
          confirmedOrders: 0,
          cancelledOrders: 0,
          lifetimeRevenue: 0,
          firstOrderAt: '2026-11-03T10:00:00.000Z',
          lastOrderAt: '2026-11-03T10:00:00.000Z',
        },
      ],
    });
    expect(await customerReport(executor, 'nobody')).toBeNull();
  });

  it('top SKUs rank confirmed sales by quantity or revenue, fold the names a SKU was sold under, and keep currencies apart', async () => {
    await project([
      order('o-1', {
        lines: [
          ['sku-a', 'Widget', 5, 100],
          ['sku-b', 'Gadget', 1, 2000],
        ],
      }),
      order('o-2', { lines: [['sku-a', 'Widget v2', 1, 100]] }),
      order('o-3', { lines: [['sku-a', 'Widget v2', 1, 100]] }),
      order('o-4', { lines: [['sku-c', 'Gizmo', 9, 100]], status: 'pending' }),
      order('o-5', { lines: [['sku-a', 'Widget', 2, 300]], currency: 'USD' }),
    ]);
    expect(await topSkus(executor, { limit: 10, by: 'quantity', currency: 'EUR' })).toEqual([
      { sku: 'sku-a', currency: 'EUR', name: 'Widget v2', quantity: 7, revenue: 700, orders: 3 },
      { sku: 'sku-b', currency: 'EUR', name: 'Gadget', quantity: 1, revenue: 2000, orders: 1 },
    ]);
    expect(
      (await topSkus(executor, { limit: 1, by: 'revenue', currency: 'EUR' })).map((row) => row.sku),
    ).toEqual(['sku-b']);
    expect(
      (await topSkus(executor, { limit: 10, by: 'quantity' })).map((row) => `${row.sku}/${row.currency}`),
    ).toEqual(['sku-a/EUR', 'sku-a/USD', 'sku-b/EUR']);
  });
});
