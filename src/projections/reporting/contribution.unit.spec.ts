import type { OrderView } from '../../domain/orders/view';
import { TributaryError } from '../../errors';
import { contributionOf } from './contribution';

const view: OrderView = {
  id: 'order-1',
  status: 'confirmed',
  customer: { id: 'c-1', name: 'Ada', email: 'ada@example.com' },
  lines: [
    { sku: 'sku-a', name: 'Widget', quantity: 2, unitPrice: 250, lineTotal: 500 },
    { sku: 'sku-b', name: 'Gadget', quantity: 1, unitPrice: 999, lineTotal: 999 },
  ],
  totalAmount: 1499,
  currency: 'EUR',
  salesChannel: 'web',
  createdAt: '2026-11-03T23:30:00.000-02:00',
  updatedAt: '2026-11-04T08:00:00.000Z',
  confirmedAt: '2026-11-04T08:00:00.000Z',
  cancelledAt: null,
  cancellationReason: null,
  version: 3,
};

function failure(state: unknown): TributaryError {
  try {
    contributionOf(state);
  } catch (error) {
    if (error instanceof TributaryError) return error;
    throw error;
  }
  throw new Error('expected contributionOf to throw');
}

describe('the contribution of an order state', () => {
  it('takes what the reports need, counting the order on the UTC day of its creation', () => {
    expect(contributionOf(view)).toEqual({
      orderId: 'order-1',
      version: 3,
      customerId: 'c-1',
      customerName: 'Ada',
      customerEmail: 'ada@example.com',
      createdAt: '2026-11-04T01:30:00.000Z',
      day: '2026-11-04',
      status: 'confirmed',
      currency: 'EUR',
      totalAmount: 1499,
      lines: [
        { sku: 'sku-a', name: 'Widget', quantity: 2, lineTotal: 500 },
        { sku: 'sku-b', name: 'Gadget', quantity: 1, lineTotal: 999 },
      ],
    });
  });

  it.each([
    ['a lower-case currency', { currency: 'eur' }, 'state.currency'],
    ['a currency of four letters', { currency: 'EURO' }, 'state.currency'],
    ['an unknown status', { status: 'shipped' }, 'state.status'],
    ['a total beyond safe integers', { totalAmount: 2 ** 53 }, 'state.totalAmount'],
    ['a fractional total', { totalAmount: 14.99 }, 'state.totalAmount'],
    ['a negative total', { totalAmount: -1 }, 'state.totalAmount'],
    ['line totals that do not add up to the total', { totalAmount: 1500 }, 'state.totalAmount'],
    ['a version of 0', { version: 0 }, 'state.version'],
    ['a version beyond int', { version: 2 ** 31 }, 'state.version'],
    ['an unparseable createdAt', { createdAt: 'yesterday' }, 'state.createdAt'],
    [
      'a createdAt on a day that does not exist',
      { createdAt: '2026-02-30T10:00:00.000Z' },
      'state.createdAt',
    ],
    ['a createdAt without an offset', { createdAt: '2026-11-04T10:00:00' }, 'state.createdAt'],
    ['a createdAt in year 0', { createdAt: '0000-06-01T10:00:00.000Z' }, 'state.createdAt'],
    ['no customer', { customer: null }, 'state.customer'],
    ['a customer without id', { customer: { name: 'Ada', email: 'a@b' } }, 'state.customer.id'],
    ['lines that are not an array', { lines: {} }, 'state.lines'],
    [
      'a line with quantity 0',
      { lines: [{ sku: 'x', name: 'X', quantity: 0, lineTotal: 0 }], totalAmount: 0 },
      'state.lines[0].quantity',
    ],
    [
      'a line without sku',
      { lines: [{ name: 'X', quantity: 1, lineTotal: 0 }], totalAmount: 0 },
      'state.lines[0].sku',
    ],
  ])('rejects %s as input.invalid naming the field', (_, change, field) => {
    const error = failure({ ...view, ...change });
    expect(error.code).toBe('input.invalid');
    expect(error.retriable).toBe(false);
    expect(error.details.field).toBe(field);
    expect(error.message).toContain(field);
  });

  it.each([
    ['2026-11-04T10:00:00.000Z', '2026-11-04T10:00:00.000Z'],
    ['2026-11-04T10:00:00Z', '2026-11-04T10:00:00.000Z'],
    ['2026-11-04T10:00:00.123456Z', '2026-11-04T10:00:00.123Z'],
    ['0001-01-01T00:00:00.000Z', '0001-01-01T00:00:00.000Z'],
  ])('keeps createdAt %s as %s (UTC, milliseconds)', (createdAt, expected) => {
    expect(contributionOf({ ...view, createdAt }).createdAt).toBe(expected);
  });

  it('rejects a state that is not an object', () => {
    expect(failure('order').code).toBe('input.invalid');
    expect(failure(null).code).toBe('input.invalid');
  });
});
