import { spec } from '../specification';
import type {
  AdjustStock,
  CommitReservation,
  ReleaseStock,
  ReserveStock,
  RestockInventory,
} from './commands';
import { inventoryDecider } from './decider';
import type {
  ReservationCommitted,
  StockAdjusted,
  StockReceived,
  StockReleased,
  StockReserved,
} from './events';
import { availableQuantity } from './state';

const at = '2024-05-01T10:00:00Z';
const sku = 'TEA-1';

const restock: RestockInventory = { type: 'RestockInventory', sku, quantity: 10, at };
const received = (quantity: number): StockReceived => ({
  type: 'StockReceived',
  schemaVersion: 1,
  data: { sku, quantity, receivedAt: at },
});
const reserve = (orderId: string, quantity: number): ReserveStock => ({
  type: 'ReserveStock',
  sku,
  orderId,
  quantity,
  at,
});
const reserved = (orderId: string, quantity: number): StockReserved => ({
  type: 'StockReserved',
  schemaVersion: 1,
  data: { sku, orderId, quantity, reservedAt: at },
});
const release = (orderId: string): ReleaseStock => ({ type: 'ReleaseStock', sku, orderId, at });
const released = (orderId: string, quantity: number): StockReleased => ({
  type: 'StockReleased',
  schemaVersion: 1,
  data: { sku, orderId, quantity, releasedAt: at },
});

const adjust = (delta: number): AdjustStock => ({ type: 'AdjustStock', sku, delta, reason: 'count', at });
const adjusted = (delta: number): StockAdjusted => ({
  type: 'StockAdjusted',
  schemaVersion: 1,
  data: { sku, delta, reason: 'count', adjustedAt: at },
});
const commit = (orderId: string): CommitReservation => ({ type: 'CommitReservation', sku, orderId, at });
const committed = (orderId: string, quantity: number): ReservationCommitted => ({
  type: 'ReservationCommitted',
  schemaVersion: 1,
  data: { sku, orderId, quantity, committedAt: at },
});

const inventory = spec(inventoryDecider);

describe('RestockInventory', () => {
  it('the first restock of a sku puts its units on hand', () => {
    const { state } = inventory
      .given([])
      .when(restock)
      .then([received(10)]);
    expect(state).toMatchObject({ sku, onHand: 10, reserved: 0, version: 1 });
  });

  it('restocks add up', () => {
    const { state } = inventory
      .given([received(10)])
      .when(restock)
      .then([received(10)]);
    expect(state.onHand).toBe(20);
  });

  it.each([0, -5, 1.5])('a restock quantity must be a positive integer (%s is rejected)', (quantity) => {
    inventory
      .given([])
      .when({ ...restock, quantity })
      .thenThrows('domain.validation', 'quantity');
  });

  it('a restock needs a sku', () => {
    inventory
      .given([])
      .when({ ...restock, sku: '' })
      .thenThrows('domain.validation', 'sku');
  });
});

describe('ReserveStock', () => {
  it('reserves available units for an order', () => {
    const { state } = inventory
      .given([received(10)])
      .when(reserve('order-1', 4))
      .then([reserved('order-1', 4)]);
    expect(state).toMatchObject({
      onHand: 10,
      reserved: 4,
      reservations: [{ orderId: 'order-1', quantity: 4 }],
    });
    expect(availableQuantity(state)).toBe(6);
  });

  it('may reserve exactly what is available', () => {
    inventory
      .given([received(10), reserved('order-1', 4)])
      .when(reserve('order-2', 6))
      .then([reserved('order-2', 6)]);
  });

  it('cannot reserve more than is available', () => {
    const error = inventory
      .given([received(10), reserved('order-1', 4)])
      .when(reserve('order-2', 7))
      .thenThrows('domain.rule', 'only 6');
    expect(error.details).toMatchObject({ available: 6, requested: 7 });
  });

  it('a sku never restocked has nothing available', () => {
    inventory.given([]).when(reserve('order-1', 1)).thenThrows('domain.rule', 'only 0');
  });

  it('repeating the identical reservation for an order is a no-op (redelivered requests are safe)', () => {
    const { state } = inventory
      .given([received(10), reserved('order-1', 4)])
      .when(reserve('order-1', 4))
      .then([]);
    expect(state.reserved).toBe(4);
  });

  it('a second reservation for the same order with another quantity is a rule error', () => {
    inventory
      .given([received(10), reserved('order-1', 4)])
      .when(reserve('order-1', 5))
      .thenThrows('domain.rule', 'already holds 4');
  });

  it.each([0, -1, 2.5])('a reserved quantity must be a positive integer (%s is rejected)', (quantity) => {
    inventory
      .given([received(10)])
      .when(reserve('order-1', quantity))
      .thenThrows('domain.validation', 'quantity');
  });

  it('a command for another sku than the loaded stream is a bug, not a user error', () => {
    inventory
      .given([received(10)])
      .when({ ...reserve('order-1', 1), sku: 'CUP-1' })
      .thenThrows('internal');
  });
});

describe('ReleaseStock', () => {
  it("releases the order's whole reservation, making its units available again", () => {
    const { state } = inventory
      .given([received(10), reserved('order-1', 4), reserved('order-2', 3)])
      .when(release('order-1'))
      .then([released('order-1', 4)]);
    expect(state).toMatchObject({
      onHand: 10,
      reserved: 3,
      reservations: [{ orderId: 'order-2', quantity: 3 }],
    });
    expect(availableQuantity(state)).toBe(7);
  });

  it('an order without a reservation has nothing to release', () => {
    inventory
      .given([received(10)])
      .when(release('order-1'))
      .thenThrows('domain.rule', 'no reservation');
  });

  it('a reservation cannot be released twice', () => {
    inventory
      .given([received(10), reserved('order-1', 4), released('order-1', 4)])
      .when(release('order-1'))
      .thenThrows('domain.rule', 'no reservation');
  });

  it('after a release the order may reserve again', () => {
    inventory
      .given([received(10), reserved('order-1', 4), released('order-1', 4)])
      .when(reserve('order-1', 8))
      .then([reserved('order-1', 8)]);
  });
});

describe('AdjustStock', () => {
  it('corrects the units on hand up or down', () => {
    const { state } = inventory
      .given([received(10), adjusted(-3)])
      .when(adjust(2))
      .then([adjusted(2)]);
    expect(state).toMatchObject({ onHand: 9, reserved: 0, version: 3 });
  });

  it('may take away every unit no order holds', () => {
    const { state } = inventory
      .given([received(10), reserved('order-1', 4)])
      .when(adjust(-6))
      .then([adjusted(-6)]);
    expect(availableQuantity(state)).toBe(0);
  });

  it('cannot take away units reserved for orders (available stock never goes negative)', () => {
    const error = inventory
      .given([received(10), reserved('order-1', 4)])
      .when(adjust(-7))
      .thenThrows('domain.rule', '4 of them reserved');
    expect(error.details).toMatchObject({ onHand: 10, reserved: 4, delta: -7 });
  });

  it.each([0, 1.5, '3'])('a delta must be a non-zero integer (%s is rejected)', (delta) => {
    inventory
      .given([received(10)])
      .when({ ...adjust(1), delta: delta as number })
      .thenThrows('domain.validation', 'delta');
  });

  it('an adjustment needs a reason', () => {
    inventory
      .given([received(10)])
      .when({ ...adjust(1), reason: ' ' })
      .thenThrows('domain.validation', 'reason');
  });
});

describe('CommitReservation', () => {
  it("takes the order's reserved units out of the stock", () => {
    const { state } = inventory
      .given([received(10), reserved('order-1', 4), reserved('order-2', 3)])
      .when(commit('order-1'))
      .then([committed('order-1', 4)]);
    expect(state).toMatchObject({
      onHand: 6,
      reserved: 3,
      reservations: [{ orderId: 'order-2', quantity: 3 }],
    });
    expect(availableQuantity(state)).toBe(3);
  });

  it('an order without a reservation has nothing to commit, also not a second time', () => {
    inventory
      .given([received(10), reserved('order-1', 4), committed('order-1', 4)])
      .when(commit('order-1'))
      .thenThrows('domain.rule', 'no reservation');
  });

  it('a committed reservation can no longer be released', () => {
    inventory
      .given([received(10), reserved('order-1', 4), committed('order-1', 4)])
      .when(release('order-1'))
      .thenThrows('domain.rule', 'no reservation');
  });
});

describe('inventory history', () => {
  it('a release stored without its reservation means a corrupt stream and is refused', () => {
    expect(() => inventoryDecider.evolve(inventoryDecider.initialState(), released('order-1', 1))).toThrow(
      expect.objectContaining({ code: 'internal' }),
    );
  });

  it('a commit stored without its reservation is refused the same way', () => {
    const state = inventoryDecider.evolve(inventoryDecider.initialState(), received(5));
    expect(() => inventoryDecider.evolve(state, committed('order-1', 1))).toThrow(
      expect.objectContaining({ code: 'internal' }),
    );
  });
});
