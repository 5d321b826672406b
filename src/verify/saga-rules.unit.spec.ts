import { checkGatewayCaptures } from './saga-gateway';
import {
  checkSagaPayments,
  checkSagaStates,
  checkSagaSteps,
  TIMER_GRACE_MS,
  type PaymentRow,
  type SagaRow,
  type StepRow,
  type StockEvent,
} from './saga-rules';
import { checkSagaStock } from './saga-stock';

const NOW = Date.parse('2026-12-04T12:00:00Z');
const saga = (orderId: string, state: string, more: Partial<SagaRow> = {}): SagaRow => ({
  orderId,
  state,
  lines: [{ sku: 'tea', quantity: 2 }],
  amount: 1000,
  ...more,
});
const step = (orderId: string, name: string, outcome: string, sku?: string): StepRow => ({
  orderId,
  step: name,
  outcome,
  sku,
});
const stock = (version: number, type: string, quantity: number, orderId?: string): StockEvent => ({
  sku: 'tea',
  version,
  type,
  orderId,
  quantity,
});
const ids = (out: { problems: { id: string }[] }) => out.problems.map((p) => p.id);

describe('saga states', () => {
  it('terminal sagas pass; a saga with a timer ahead is in progress; one without is stuck', () => {
    const ahead = new Date(NOW + 5_000).toISOString();
    const long = new Date(NOW - TIMER_GRACE_MS - 1).toISOString();
    const out = checkSagaStates(
      [
        saga('a', 'completed'),
        saga('b', 'compensated'),
        saga('c', 'timed_out'),
        saga('d', 'capturing', { timerAt: ahead }),
        saga('e', 'capturing', { timerAt: long }),
        saga('f', 'capturing'),
      ],
      ['a', 'b', 'g'],
      NOW,
    );
    expect(out.inProgress).toBe(1);
    expect(out.result).toMatchObject({ checked: 6, missing: 1, mismatched: 2 });
    expect(ids(out)).toEqual(['g', 'e', 'f']);
  });
});

describe('saga payments', () => {
  const ends = (ready: Record<string, number>) => ({
    readyToShip: new Map(Object.entries(ready)),
    confirmed: [],
  });
  const pay = (orderId: string, refunded = 0): PaymentRow => ({
    paymentId: `p-${orderId}`,
    orderId,
    amount: 1000,
    refunded,
  });

  it('a capture belongs to an order ready to ship or refunded', () => {
    const sagas = [saga('a', 'completed'), saga('b', 'timed_out'), saga('c', 'compensated')];
    const steps = [
      step('a', 'capture', 'done'),
      step('b', 'capture', 'done'),
      step('b', 'refund', 'compensation'),
      step('c', 'capture', 'done'),
    ];
    const out = checkSagaPayments(sagas, steps, [pay('a')], ends({ a: 1 }));
    expect(out.result).toMatchObject({ mismatched: 1, missing: 0, duplicated: 0 });
    expect(ids(out)).toEqual(['c']);
  });

  it('a payment of an order not shipped and not refunded, a completed saga without its events, doubles', () => {
    const sagas = [
      saga('a', 'completed'),
      saga('b', 'compensated'),
      saga('c', 'completed'),
      saga('d', 'compensated'),
    ];
    const payments = [pay('a'), pay('a'), pay('b'), pay('d', 1000)];
    const out = checkSagaPayments(sagas, [], payments, ends({ a: 2 }));
    expect(out.result).toMatchObject({ mismatched: 1, missing: 2, duplicated: 2 });
    expect(ids(out).sort()).toEqual(['a', 'a', 'b', 'c', 'c']);
  });
});

describe('saga steps', () => {
  it('flags a step taken twice, per SKU for reservations; retries are fine', () => {
    const out = checkSagaSteps([
      step('a', 'capture', 'retrying'),
      step('a', 'capture', 'retrying'),
      step('a', 'capture', 'done'),
      step('a', 'reserve', 'done', 'tea'),
      step('a', 'reserve', 'done', 'cup'),
      step('b', 'capture', 'done'),
      step('b', 'capture', 'done'),
      step('b', 'reserve', 'done', 'tea'),
      step('b', 'reserve', 'done', 'tea'),
    ]);
    expect(out.result.duplicated).toBe(2);
    expect(out.problems.map((p) => p.detail)).toEqual([
      'order b: capture done 2 times',
      'order b: reserve done for tea 2 times',
    ]);
  });
});

describe('saga stock', () => {
  it('receipts − committed reservations of completed sagas, all released for the others', () => {
    const events = [
      stock(1, 'StockReceived', 10),
      stock(2, 'StockReserved', 2, 'a'),
      stock(3, 'StockReserved', 2, 'b'),
      stock(4, 'ReservationCommitted', 2, 'a'),
      stock(5, 'StockReleased', 2, 'b'),
      stock(6, 'StockAdjusted', -1),
    ];
    const out = checkSagaStock(events, [saga('a', 'completed'), saga('b', 'compensated')]);
    expect(out.problems).toEqual([]);
    expect(out.result.checked).toBe(1);
  });

  it('a lost commit: the reservation still held for a completed saga, the stock off', () => {
    const events = [stock(1, 'StockReceived', 10), stock(2, 'StockReserved', 2, 'a')];
    const out = checkSagaStock(events, [saga('a', 'completed')]);
    expect(out.result).toMatchObject({ mismatched: 2, missing: 1 });
    expect(ids(out)).toEqual(['a', 'a', 'tea']);
  });

  it('below zero, a reservation twice, a release without a reservation', () => {
    const events = [
      stock(1, 'StockReceived', 1),
      stock(2, 'StockReserved', 2, 'a'),
      stock(3, 'StockReserved', 2, 'a'),
      stock(4, 'StockReleased', 2, 'a'),
      stock(5, 'StockReleased', 2, 'a'),
    ];
    const out = checkSagaStock(events, [saga('a', 'compensated')]);
    expect(out.result).toMatchObject({ duplicated: 1, mismatched: 2 });
    expect(out.problems.map((p) => p.detail)).toEqual([
      'stock of tea went below 0 at version 2 (1 on hand, 2 reserved)',
      'order a reserved tea twice',
      'order a released tea at version 5 without a reservation',
    ]);
  });
});

describe('gateway captures', () => {
  const capture = (id: string, refundedAmount = 0) => ({
    id,
    status: 'captured' as const,
    amount: 1000,
    refundedAmount,
  });

  it('each capture is the completed saga’s, or refunded in full', () => {
    const sagas = [
      saga('a', 'completed', { captureId: 'c-a' }),
      saga('b', 'timed_out'),
      saga('c', 'timed_out'),
      saga('d', 'completed', { captureId: 'c-d' }),
      saga('e', 'completed', { captureId: 'c-e' }),
    ];
    const captures = new Map([
      ['a', capture('c-a')],
      ['b', capture('c-b', 1000)],
      ['c', capture('c-c')],
      ['d', undefined],
      ['e', capture('c-other')],
    ]);
    const out = checkGatewayCaptures(sagas, captures);
    expect(out.result).toMatchObject({ checked: 5, missing: 1, mismatched: 2 });
    expect(ids(out)).toEqual(['c', 'd', 'e']);
  });
});
