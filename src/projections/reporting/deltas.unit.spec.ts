import type { Contribution } from './contribution';
import { compareC, isNewerOrder, reportDeltas } from './deltas';

const base: Contribution = {
  orderId: 'o-1',
  version: 1,
  customerId: 'c-1',
  customerName: 'Ada',
  customerEmail: 'ada@example.com',
  createdAt: '2026-11-04T08:00:00.000Z',
  day: '2026-11-04',
  status: 'pending',
  currency: 'EUR',
  totalAmount: 700,
  lines: [
    { sku: 'sku-a', name: 'Widget', quantity: 2, lineTotal: 500 },
    { sku: 'sku-b', name: 'Gadget', quantity: 1, lineTotal: 200 },
  ],
};

const order = (change: Partial<Contribution>): Contribution => ({ ...base, ...change });

describe('report deltas', () => {
  it('a new pending order adds one order and its total to its day, status and currency, and joins its customer', () => {
    expect(reportDeltas([{ before: null, after: base }])).toEqual({
      daily: [{ day: '2026-11-04', status: 'pending', currency: 'EUR', orders: 1, revenue: 700n }],
      customers: [
        {
          customerId: 'c-1',
          currency: 'EUR',
          orders: 1,
          confirmedOrders: 0,
          cancelledOrders: 0,
          lifetimeRevenue: 0n,
          firstOrderAt: '2026-11-04T08:00:00.000Z',
          latest: { orderId: 'o-1', createdAt: base.createdAt, name: 'Ada', email: 'ada@example.com' },
          recompute: false,
        },
      ],
      // Only confirmed orders count towards SKUs.
      skus: [],
    });
  });

  it('confirming moves the order from pending to confirmed, and adds its revenue and lines', () => {
    const after = order({ version: 2, status: 'confirmed' });
    const deltas = reportDeltas([{ before: base, after }]);
    expect(deltas.daily).toEqual([
      { day: '2026-11-04', status: 'confirmed', currency: 'EUR', orders: 1, revenue: 700n },
      { day: '2026-11-04', status: 'pending', currency: 'EUR', orders: -1, revenue: -700n },
    ]);
    expect(deltas.customers).toEqual([
      expect.objectContaining({
        orders: 0,
        confirmedOrders: 1,
        lifetimeRevenue: 700n,
        latest: null,
        recompute: false,
      }),
    ]);
    expect(deltas.skus).toEqual([
      { sku: 'sku-a', currency: 'EUR', name: 'Widget', quantity: 2n, revenue: 500n, orders: 1 },
      { sku: 'sku-b', currency: 'EUR', name: 'Gadget', quantity: 1n, revenue: 200n, orders: 1 },
    ]);
  });

  it('cancelling a confirmed order takes its revenue and lines back off', () => {
    const confirmed = order({ version: 2, status: 'confirmed' });
    const cancelled = order({ version: 3, status: 'cancelled' });
    const deltas = reportDeltas([{ before: confirmed, after: cancelled }]);
    expect(deltas.customers).toEqual([
      expect.objectContaining({ orders: 0, confirmedOrders: -1, cancelledOrders: 1, lifetimeRevenue: -700n }),
    ]);
    expect(deltas.skus.map((d) => [d.sku, d.quantity, d.orders])).toEqual([
      ['sku-a', -2n, -1],
      ['sku-b', -1n, -1],
    ]);
  });

  it('a change that moves nothing leaves no delta at all', () => {
    const same = order({ version: 2 });
    expect(reportDeltas([{ before: base, after: same }])).toEqual({ daily: [], customers: [], skus: [] });
  });

  it('a line added to a pending order changes only the revenue of its day', () => {
    const after = order({
      version: 2,
      totalAmount: 1200,
      lines: [...base.lines, { sku: 'sku-c', name: 'Gizmo', quantity: 1, lineTotal: 500 }],
    });
    expect(reportDeltas([{ before: base, after }])).toEqual({
      daily: [{ day: '2026-11-04', status: 'pending', currency: 'EUR', orders: 0, revenue: 500n }],
      customers: [],
      skus: [],
    });
  });

  it('an order that changes customer leaves the old key (which is recomputed) and joins the new one', () => {
    const after = order({ version: 2, customerId: 'c-2', customerName: 'Grace' });
    const deltas = reportDeltas([{ before: base, after }]);
    expect(deltas.customers).toEqual([
      expect.objectContaining({ customerId: 'c-1', orders: -1, latest: null, recompute: true }),
      expect.objectContaining({
        customerId: 'c-2',
        orders: 1,
        firstOrderAt: base.createdAt,
        latest: expect.objectContaining({ name: 'Grace' }),
        recompute: false,
      }),
    ]);
  });

  it.each([
    ['its creation time', { createdAt: '2026-11-05T08:00:00.000Z', day: '2026-11-05' }],
    ['the customer name', { customerName: 'Ada L.' }],
    ['the customer email', { customerEmail: 'ada@example.org' }],
  ])('an order that changes %s makes its customer recomputed', (_, change) => {
    const deltas = reportDeltas([{ before: base, after: order({ version: 2, ...change }) }]);
    expect(deltas.customers).toEqual([expect.objectContaining({ orders: 0, recompute: true })]);
  });

  it('of several orders joining one customer, the earliest is the first and the newest (time, then id) the latest', () => {
    const changes = [
      order({ orderId: 'o-b', createdAt: '2026-11-04T09:00:00.000Z', customerName: 'B' }),
      order({ orderId: 'o-a', createdAt: '2026-11-02T09:00:00.000Z', customerName: 'A' }),
      order({ orderId: 'o-c', createdAt: '2026-11-04T09:00:00.000Z', customerName: 'C' }),
    ].map((after) => ({ before: null, after }));
    const [customer] = reportDeltas(changes).customers;
    expect(customer).toEqual(
      expect.objectContaining({
        orders: 3,
        firstOrderAt: '2026-11-02T09:00:00.000Z',
        latest: expect.objectContaining({ orderId: 'o-c', name: 'C' }),
      }),
    );
  });

  it('counts an order once per SKU and name, and keeps currencies apart', () => {
    const twice = order({
      status: 'confirmed',
      lines: [
        { sku: 'sku-a', name: 'Widget', quantity: 2, lineTotal: 500 },
        { sku: 'sku-a', name: 'Widget', quantity: 1, lineTotal: 200 },
      ],
    });
    const usd = order({
      orderId: 'o-2',
      status: 'confirmed',
      currency: 'USD',
      lines: [base.lines[0]!],
      totalAmount: 500,
    });
    const deltas = reportDeltas([
      { before: null, after: twice },
      { before: null, after: usd },
    ]);
    expect(deltas.skus).toEqual([
      { sku: 'sku-a', currency: 'EUR', name: 'Widget', quantity: 3n, revenue: 700n, orders: 1 },
      { sku: 'sku-a', currency: 'USD', name: 'Widget', quantity: 2n, revenue: 500n, orders: 1 },
    ]);
    expect(deltas.daily.map((d) => d.currency)).toEqual(['EUR', 'USD']);
  });

  it('adds amounts exactly beyond 2^53, as bigint', () => {
    const big = Number.MAX_SAFE_INTEGER;
    const changes = ['o-1', 'o-2'].map((orderId) => ({
      before: null,
      after: order({
        orderId,
        totalAmount: big,
        lines: [{ sku: 's', name: 'S', quantity: 1, lineTotal: big }],
      }),
    }));
    expect(reportDeltas(changes).daily[0]!.revenue).toBe(2n * BigInt(big));
  });
});

describe('ordering ties between orders', () => {
  it('compares strings in UTF-8 byte order, like collate "C"', () => {
    expect(compareC('B', 'a')).toBeLessThan(0);
    expect(compareC('z', 'é')).toBeLessThan(0);
    expect(compareC('a', 'a')).toBe(0);
    // U+FF5E sorts before U+1F600 in UTF-8, after its surrogate pair in UTF-16.
    expect(compareC('\uFF5E', '\u{1F600}')).toBeLessThan(0);
    expect('\uFF5E' < '\u{1F600}').toBe(false);
  });

  it('a later order is newer; at the same time, the greater order id is', () => {
    const at = (createdAt: string, orderId: string) => ({ orderId, createdAt, name: '', email: '' });
    expect(isNewerOrder(at('2026-11-02T00:00:00.000Z', 'a'), at('2026-11-01T00:00:00.000Z', 'b'))).toBe(true);
    expect(isNewerOrder(at('2026-11-01T00:00:00.000Z', 'b'), at('2026-11-01T00:00:00.000Z', 'a'))).toBe(true);
    expect(isNewerOrder(at('2026-11-01T00:00:00.000Z', 'a'), at('2026-11-01T00:00:00.000Z', 'a'))).toBe(
      false,
    );
  });
});
