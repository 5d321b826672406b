import { TributaryError } from '../../errors';
import { replay } from '../decider';
import { orderDecider } from './decider';
import type { OrderEvent, OrderLine } from './events';
import { evolveOrder, initialOrderState, isOrder, totalAmountOf, type Order } from './state';

const orderId = 'order-1';
const customer = { id: 'customer-1', name: 'Ada Lovelace', email: 'ada@example.com' };
const tea: OrderLine = { sku: 'TEA-1', name: 'Green tea', quantity: 2, unitPrice: 450 };
const cup: OrderLine = { sku: 'CUP-1', name: 'Cup', quantity: 3, unitPrice: 1200 };
const pot: OrderLine = { sku: 'POT-1', name: 'Teapot', quantity: 1, unitPrice: 3500 };

const history: OrderEvent[] = [
  {
    type: 'OrderCreated',
    schemaVersion: 2,
    data: {
      orderId,
      customer,
      lines: [tea],
      currency: 'EUR',
      salesChannel: 'phone',
      createdAt: '2024-05-01T10:00:00Z',
    },
  },
  { type: 'OrderLineAdded', schemaVersion: 1, data: { orderId, line: cup, addedAt: '2024-05-01T10:05:00Z' } },
  { type: 'OrderLineAdded', schemaVersion: 1, data: { orderId, line: pot, addedAt: '2024-05-01T10:06:00Z' } },
  {
    type: 'OrderLineRemoved',
    schemaVersion: 1,
    data: { orderId, sku: cup.sku, removedAt: '2024-05-01T10:07:00Z' },
  },
  { type: 'OrderConfirmed', schemaVersion: 1, data: { orderId, confirmedAt: '2024-05-01T10:08:00Z' } },
];

function order(events: OrderEvent[]): Order {
  const state = replay(orderDecider, events);
  if (!isOrder(state)) throw new Error('expected an order');
  return state;
}

describe('order totals', () => {
  it('the total is the sum of quantity × unit price over the lines', () => {
    expect(totalAmountOf([tea, cup, pot])).toBe(2 * 450 + 3 * 1200 + 3500);
    expect(totalAmountOf([])).toBe(0);
  });

  it('evolve recomputes the total after every change of lines', () => {
    const totals = history.slice(0, 4).map((_, index) => order(history.slice(0, index + 1)).totalAmount);
    expect(totals).toEqual([900, 900 + 3600, 900 + 3600 + 3500, 900 + 3500]);
  });

  it('the total always equals the sum over the lines the state holds', () => {
    for (let length = 1; length <= history.length; length += 1) {
      const state = order(history.slice(0, length));
      expect(state.totalAmount).toBe(state.lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0));
    }
  });
});

describe('order state', () => {
  it('a stream with no events holds no order', () => {
    expect(isOrder(initialOrderState())).toBe(false);
    expect(initialOrderState().version).toBe(0);
  });

  it('keeps the lifecycle timestamps from event data and counts the events applied', () => {
    expect(order(history)).toEqual({
      id: orderId,
      status: 'confirmed',
      customer,
      lines: [tea, pot],
      totalAmount: 4400,
      currency: 'EUR',
      salesChannel: 'phone',
      createdAt: '2024-05-01T10:00:00Z',
      updatedAt: '2024-05-01T10:08:00Z',
      confirmedAt: '2024-05-01T10:08:00Z',
      cancelledAt: null,
      cancellationReason: null,
      readyToShipAt: null,
      version: 5,
    });
  });

  it('evolve never mutates the state it is given', () => {
    const before = order(history.slice(0, 2));
    const snapshot = structuredClone(before);
    evolveOrder(before, history[2] as OrderEvent);
    expect(before).toEqual(snapshot);
  });

  it('an event that cannot apply to the state means a corrupt stream and is refused', () => {
    const added = history[1] as OrderEvent;
    expect(() => evolveOrder(initialOrderState(), added)).toThrow(TributaryError);
    expect(() => evolveOrder(order(history.slice(0, 1)), history[0] as OrderEvent)).toThrow(
      expect.objectContaining({ code: 'internal' }),
    );
  });
});
