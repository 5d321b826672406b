import { replay } from '../decider';
import { orderDecider } from './decider';
import type { OrderEvent } from './events';
import { isOrder, type Order } from './state';
import { toOrderView } from './view';

const orderId = 'order-1';
const history: OrderEvent[] = [
  {
    type: 'OrderCreated',
    schemaVersion: 2,
    data: {
      orderId,
      customer: { id: 'customer-1', name: 'Ada Lovelace', email: 'ada@example.com' },
      lines: [
        { sku: 'TEA-1', name: 'Green tea', quantity: 2, unitPrice: 450 },
        { sku: 'CUP-1', name: 'Cup', quantity: 1, unitPrice: 1200 },
      ],
      currency: 'EUR',
      salesChannel: 'marketplace',
      createdAt: '2024-05-01T10:00:00Z',
    },
  },
  {
    type: 'OrderCancelled',
    schemaVersion: 1,
    data: { orderId, reason: 'out of stock', cancelledAt: '2024-05-02T08:00:00Z' },
  },
];

function order(): Order {
  const state = replay(orderDecider, history);
  if (!isOrder(state)) throw new Error('expected an order');
  return state;
}

describe('toOrderView', () => {
  it('publishes the whole order after a change, with line totals and the stream version', () => {
    expect(toOrderView(order())).toEqual({
      id: orderId,
      status: 'cancelled',
      customer: { id: 'customer-1', name: 'Ada Lovelace', email: 'ada@example.com' },
      lines: [
        { sku: 'TEA-1', name: 'Green tea', quantity: 2, unitPrice: 450, lineTotal: 900 },
        { sku: 'CUP-1', name: 'Cup', quantity: 1, unitPrice: 1200, lineTotal: 1200 },
      ],
      totalAmount: 2100,
      currency: 'EUR',
      salesChannel: 'marketplace',
      createdAt: '2024-05-01T10:00:00Z',
      updatedAt: '2024-05-02T08:00:00Z',
      confirmedAt: null,
      cancelledAt: '2024-05-02T08:00:00Z',
      cancellationReason: 'out of stock',
      version: 2,
    });
  });

  it('the view survives JSON serialisation unchanged', () => {
    const view = toOrderView(order());
    expect(JSON.parse(JSON.stringify(view))).toEqual(view);
  });

  it('changing the view cannot change the order it was built from', () => {
    const state = order();
    const view = toOrderView(state) as unknown as {
      customer: { name: string };
      lines: { quantity: number }[];
    };
    view.customer.name = 'Someone else';
    (view.lines[0] as { quantity: number }).quantity = 99;
    expect(state.customer.name).toBe('Ada Lovelace');
    expect(state.lines[0]?.quantity).toBe(2);
  });
});
