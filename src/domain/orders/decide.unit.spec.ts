import { spec } from '../specification';
import type { CreateOrder } from './commands';
import { orderDecider } from './decider';
import { MAX_ORDER_LINES } from './validate';
import type {
  OrderCancelled,
  OrderConfirmed,
  OrderCreated,
  OrderLine,
  OrderLineAdded,
  OrderReadyToShip,
} from './events';

const at = '2024-05-01T10:00:00.000Z';
const later = '2024-05-01T11:00:00.000Z';
const orderId = 'order-1';
const customer = { id: 'customer-1', name: 'Ada Lovelace', email: 'ada@example.com' };
const tea: OrderLine = { sku: 'TEA-1', name: 'Green tea', quantity: 2, unitPrice: 450 };
const cup: OrderLine = { sku: 'CUP-1', name: 'Cup', quantity: 1, unitPrice: 1200 };

const createOrder: CreateOrder = {
  type: 'CreateOrder',
  orderId,
  customer,
  lines: [tea],
  currency: 'EUR',
  at,
};

const created: OrderCreated = {
  type: 'OrderCreated',
  schemaVersion: 2,
  data: { orderId, customer, lines: [tea], currency: 'EUR', salesChannel: 'web', createdAt: at },
};
const cupAdded: OrderLineAdded = {
  type: 'OrderLineAdded',
  schemaVersion: 1,
  data: { orderId, line: cup, addedAt: later },
};
const confirmed: OrderConfirmed = {
  type: 'OrderConfirmed',
  schemaVersion: 1,
  data: { orderId, confirmedAt: later },
};
const cancelled: OrderCancelled = {
  type: 'OrderCancelled',
  schemaVersion: 1,
  data: { orderId, reason: 'changed mind', cancelledAt: later },
};

const order = spec(orderDecider);

describe('CreateOrder', () => {
  it('creates a pending order at the current schema version, on the web channel by default', () => {
    const { state } = order.given([]).when(createOrder).then([created]);
    expect(state).toMatchObject({ id: orderId, status: 'pending', salesChannel: 'web', version: 1 });
  });

  it('records the sales channel the caller gives', () => {
    order
      .given([])
      .when({ ...createOrder, salesChannel: 'store' })
      .then([{ ...created, data: { ...created.data, salesChannel: 'store' } }]);
  });

  it('keeps only known fields of the request in the event', () => {
    const noisy = {
      ...createOrder,
      customer: { ...customer, password: 'x' },
      lines: [{ ...tea, discount: 5 }],
    } as unknown as CreateOrder;
    order.given([]).when(noisy).then([created]);
  });

  it('an order cannot be created twice', () => {
    order.given([created]).when(createOrder).thenThrows('domain.rule', 'already exists');
  });

  it.each([
    ['an unknown sales channel', { salesChannel: 'fax' }],
    ['an unknown currency', { currency: 'EURO' }],
    ['a lower-case currency', { currency: 'eur' }],
    ['no lines', { lines: [] }],
    ['an empty order id', { orderId: ' ' }],
    ['a customer without email', { customer: { ...customer, email: '' } }],
    ['a customer with a malformed email', { customer: { ...customer, email: 'ada.example.com' } }],
    ['a customer without name', { customer: { ...customer, name: '' } }],
    ['a time without zone', { at: '2024-05-01T10:00:00' }],
    ['a time that is not a date', { at: '2024-13-45T10:00:00Z' }],
  ])('an order with %s is malformed', (_, change) => {
    order
      .given([])
      .when({ ...createOrder, ...change } as CreateOrder)
      .thenThrows('domain.validation');
  });

  it.each([
    ['zero', 0],
    ['negative', -1],
    ['fractional', 1.5],
    ['non-numeric', '2'],
  ])('a line quantity must be a positive integer (%s is rejected)', (_, quantity) => {
    const lines = [{ ...tea, quantity }] as unknown as OrderLine[];
    order
      .given([])
      .when({ ...createOrder, lines })
      .thenThrows('domain.validation', 'quantity');
  });

  it.each([
    ['negative', -1],
    ['fractional', 4.5],
    ['unsafe', Number.MAX_SAFE_INTEGER + 1],
  ])('a unit price must be a non-negative integer (%s is rejected)', (_, unitPrice) => {
    order
      .given([])
      .when({ ...createOrder, lines: [{ ...tea, unitPrice }] })
      .thenThrows('domain.validation', 'unitPrice');
  });

  it('a free line (unit price zero) is allowed', () => {
    const free = { ...tea, unitPrice: 0 };
    const { state } = order
      .given([])
      .when({ ...createOrder, lines: [free] })
      .then([{ ...created, data: { ...created.data, lines: [free] } }]);
    expect(state).toMatchObject({ totalAmount: 0 });
  });

  it('a line sku must not be empty', () => {
    order
      .given([])
      .when({ ...createOrder, lines: [{ ...tea, sku: '' }] })
      .thenThrows('domain.validation', 'sku');
  });

  it('two lines with the same sku are rejected, not merged', () => {
    order
      .given([])
      .when({ ...createOrder, lines: [tea, { ...tea, quantity: 1 }] })
      .thenThrows('domain.validation', 'more than one line');
  });

  it('a total beyond exact integers is rejected', () => {
    const huge = { ...tea, quantity: 2, unitPrice: Number.MAX_SAFE_INTEGER };
    order
      .given([])
      .when({ ...createOrder, lines: [huge] })
      .thenThrows('domain.validation');
  });

  it('a malformed command is a validation error even when the order exists', () => {
    order
      .given([created])
      .when({ ...createOrder, currency: 'ZZZ' })
      .thenThrows('domain.validation');
  });
});

describe('AddOrderLine', () => {
  const addCup = { type: 'AddOrderLine', orderId, line: cup, at: later } as const;

  it('adds a line to a pending order', () => {
    order.given([created]).when(addCup).then([cupAdded]);
  });

  it('a line cannot be added to an order that does not exist', () => {
    order.given([]).when(addCup).thenThrows('domain.rule', 'does not exist');
  });

  it('a confirmed order cannot change its lines', () => {
    order.given([created, confirmed]).when(addCup).thenThrows('domain.rule', 'confirmed');
  });

  it('a cancelled order cannot change its lines', () => {
    order.given([created, cancelled]).when(addCup).thenThrows('domain.rule', 'cancelled');
  });

  it('an order at MAX_ORDER_LINES takes no further line; one below it does', () => {
    const lineNo = (i: number): OrderLine => ({ ...tea, sku: `SKU-${i}` });
    const grown = (count: number): OrderLineAdded[] =>
      Array.from({ length: count }, (_, i) => ({ ...cupAdded, data: { ...cupAdded.data, line: lineNo(i) } }));
    const full = [created, ...grown(MAX_ORDER_LINES - 1)]; // the created order's line and 199 added ones
    order.given(full).when(addCup).thenThrows('domain.rule', 'the most an order may have');
    const almost = [created, ...grown(MAX_ORDER_LINES - 2)];
    order.given(almost).when(addCup).then([cupAdded]);
  });

  it('an order is created with at most MAX_ORDER_LINES lines', () => {
    const lines = Array.from({ length: MAX_ORDER_LINES + 1 }, (_, i) => ({ ...tea, sku: `SKU-${i}` }));
    order
      .given([])
      .when({ ...createOrder, lines })
      .thenThrows('domain.validation', 'at most 200 lines');
  });

  it('a sku already on the order cannot be added again', () => {
    order
      .given([created])
      .when({ ...addCup, line: { ...tea, quantity: 5 } })
      .thenThrows('domain.rule', 'already on order');
  });

  it('an added line must have a positive quantity', () => {
    order
      .given([created])
      .when({ ...addCup, line: { ...cup, quantity: 0 } })
      .thenThrows('domain.validation');
  });
});

describe('RemoveOrderLine', () => {
  const removeTea = { type: 'RemoveOrderLine', orderId, sku: tea.sku, at: later } as const;

  it('removes a line of a pending order', () => {
    const { state } = order
      .given([created, cupAdded])
      .when(removeTea)
      .then([
        { type: 'OrderLineRemoved', schemaVersion: 1, data: { orderId, sku: tea.sku, removedAt: later } },
      ]);
    expect(state).toMatchObject({ lines: [cup], totalAmount: 1200 });
  });

  it('the last line cannot be removed; the order must be cancelled instead', () => {
    order.given([created]).when(removeTea).thenThrows('domain.rule', 'last line');
  });

  it('a sku that is not on the order cannot be removed', () => {
    order
      .given([created, cupAdded])
      .when({ ...removeTea, sku: 'NOPE' })
      .thenThrows('domain.rule', 'not on order');
  });

  it('a confirmed order cannot remove lines', () => {
    order.given([created, cupAdded, confirmed]).when(removeTea).thenThrows('domain.rule', 'confirmed');
  });

  it('a cancelled order cannot remove lines', () => {
    order.given([created, cupAdded, cancelled]).when(removeTea).thenThrows('domain.rule', 'cancelled');
  });

  it('a line cannot be removed from an order that does not exist', () => {
    order.given([]).when(removeTea).thenThrows('domain.rule', 'does not exist');
  });
});

describe('ConfirmOrder', () => {
  const confirm = { type: 'ConfirmOrder', orderId, at: later } as const;

  it('confirms a pending order', () => {
    const { state } = order.given([created]).when(confirm).then([confirmed]);
    expect(state).toMatchObject({ status: 'confirmed', confirmedAt: later, updatedAt: later, version: 2 });
  });

  it('a cancelled order cannot be confirmed', () => {
    order.given([created, cancelled]).when(confirm).thenThrows('domain.rule', 'cancelled');
  });

  it('a confirmed order cannot be confirmed again', () => {
    order.given([created, confirmed]).when(confirm).thenThrows('domain.rule', 'confirmed');
  });

  it('an order that does not exist cannot be confirmed', () => {
    order.given([]).when(confirm).thenThrows('domain.rule', 'does not exist');
  });

  it('a command for another order than the loaded stream is a bug, not a user error', () => {
    order
      .given([created])
      .when({ ...confirm, orderId: 'order-2' })
      .thenThrows('internal');
  });
});

describe('CancelOrder', () => {
  const cancel = { type: 'CancelOrder', orderId, reason: 'changed mind', at: later } as const;

  it('cancels a pending order with its reason', () => {
    const { state } = order.given([created]).when(cancel).then([cancelled]);
    expect(state).toMatchObject({
      status: 'cancelled',
      cancelledAt: later,
      cancellationReason: 'changed mind',
    });
  });

  it('a confirmed order can still be cancelled', () => {
    order.given([created, confirmed]).when(cancel).then([cancelled]);
  });

  it('a cancelled order cannot be cancelled again', () => {
    order.given([created, cancelled]).when(cancel).thenThrows('domain.rule', 'already cancelled');
  });

  it('a cancellation needs a reason', () => {
    order
      .given([created])
      .when({ ...cancel, reason: '  ' })
      .thenThrows('domain.validation', 'reason');
  });

  it('an order that does not exist cannot be cancelled', () => {
    order.given([]).when(cancel).thenThrows('domain.rule', 'does not exist');
  });
});

describe('MarkReadyToShip', () => {
  const mark = { type: 'MarkReadyToShip', orderId, at: later } as const;
  const ready: OrderReadyToShip = {
    type: 'OrderReadyToShip',
    schemaVersion: 1,
    data: { orderId, readyAt: later },
  };

  it('marks a confirmed order ready to ship; its status stays confirmed', () => {
    const { state } = order.given([created, confirmed]).when(mark).then([ready]);
    expect(state).toMatchObject({ status: 'confirmed', readyToShipAt: later, version: 3 });
  });

  it('only a confirmed order can be ready to ship', () => {
    order.given([created]).when(mark).thenThrows('domain.rule', 'pending');
    order.given([created, confirmed, cancelled]).when(mark).thenThrows('domain.rule', 'cancelled');
  });

  it('an order is marked ready to ship once', () => {
    order.given([created, confirmed, ready]).when(mark).thenThrows('domain.rule', 'already ready');
  });

  it('an order ready to ship can no longer be cancelled', () => {
    order
      .given([created, confirmed, ready])
      .when({ type: 'CancelOrder', orderId, reason: 'changed mind', at: later })
      .thenThrows('domain.rule', 'ready to ship');
  });
});

it('an unknown command type is malformed', () => {
  order
    .given([])
    .when({ type: 'ShipOrder' } as unknown as CreateOrder)
    .thenThrows('domain.validation');
});
