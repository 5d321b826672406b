import type { RuleOutput, SagaRow, StockEvent } from './saga-rules';
import { emptyCheck, ProblemList } from './types';

/**
 * Stock, replayed from the inventory streams: it never went below 0 (nor below what was reserved), each order
 * reserved a SKU at most once, every release or commit ended a reservation that existed, no reservation is left
 * held for a saga that ended, and what is on hand equals receipts and adjustments minus the units the completed
 * sagas committed.
 */

export const SAGA_STOCK_CHECK = 'saga stock';

type Kind = 'missing' | 'duplicated' | 'mismatched';

interface Replay {
  onHand: number;
  received: number;
  held: Map<string, number>;
  committed: Map<string, number>;
  wentNegative: boolean;
}

interface Noter {
  (kind: Kind, id: string, detail: string): void;
}

function replayStream(sku: string, events: readonly StockEvent[], note: Noter): Replay {
  const r: Replay = { onHand: 0, received: 0, held: new Map(), committed: new Map(), wentNegative: false };
  for (const event of events) {
    const order = event.orderId ?? '';
    switch (event.type) {
      case 'StockReceived':
      case 'StockAdjusted':
        r.onHand += event.quantity;
        r.received += event.quantity;
        break;
      case 'StockReserved':
        if (r.held.has(order)) note('duplicated', order, `order ${order} reserved ${sku} twice`);
        r.held.set(order, event.quantity);
        break;
      case 'StockReleased':
      case 'ReservationCommitted':
        endReservation(sku, event, r, note);
        break;
    }
    const reserved = [...r.held.values()].reduce((sum, n) => sum + n, 0);
    if (!r.wentNegative && (r.onHand < 0 || r.onHand - reserved < 0)) {
      r.wentNegative = true;
      note(
        'mismatched',
        sku,
        `stock of ${sku} went below 0 at version ${event.version} (${r.onHand} on hand, ${reserved} reserved)`,
      );
    }
  }
  return r;
}

function endReservation(sku: string, event: StockEvent, r: Replay, note: Noter): void {
  const order = event.orderId ?? '';
  const held = r.held.get(order);
  const what = event.type === 'StockReleased' ? 'released' : 'committed';
  if (held === undefined) {
    note(
      'mismatched',
      order,
      `order ${order} ${what} ${sku} at version ${event.version} without a reservation`,
    );
    return;
  }
  r.held.delete(order);
  if (event.type !== 'ReservationCommitted') return;
  r.onHand -= held;
  r.committed.set(order, (r.committed.get(order) ?? 0) + held);
}

/** Units of `sku` that the completed sagas committed, by order. */
function committedBySagas(sku: string, sagas: readonly SagaRow[]): Map<string, number> {
  const units = new Map<string, number>();
  for (const saga of sagas) {
    if (saga.state !== 'completed') continue;
    const quantity = saga.lines.filter((l) => l.sku === sku).reduce((sum, l) => sum + l.quantity, 0);
    if (quantity > 0) units.set(saga.orderId, quantity);
  }
  return units;
}

function compareWithSagas(sku: string, r: Replay, sagas: readonly SagaRow[], note: Noter): void {
  const states = new Map(sagas.map((saga) => [saga.orderId, saga.state]));
  for (const order of r.held.keys()) {
    const state = states.get(order);
    if (state !== undefined && state !== 'capturing' && state !== 'reserving')
      note(
        'mismatched',
        order,
        `reservation of ${sku} still held for order ${order}, whose saga is ${state}`,
      );
  }
  const expected = committedBySagas(sku, sagas);
  for (const [order, quantity] of expected) {
    const done = r.committed.get(order) ?? 0;
    if (done !== quantity)
      note('missing', order, `completed order ${order} committed ${done} of its ${quantity} ${sku}`);
  }
  for (const order of r.committed.keys()) {
    const state = states.get(order);
    if (state !== undefined && state !== 'completed')
      note('mismatched', order, `order ${order} committed ${sku} but its saga is ${state}`);
  }
  const shouldBe = r.received - [...expected.values()].reduce((sum, n) => sum + n, 0);
  if (r.onHand !== shouldBe) {
    note(
      'mismatched',
      sku,
      `stock of ${sku} is ${r.onHand}; receipts − committed reservations of completed sagas = ${shouldBe}`,
    );
  }
}

/** The stock check over every inventory stream (events in stream order, all streams together). */
export function checkSagaStock(events: readonly StockEvent[], sagas: readonly SagaRow[]): RuleOutput {
  const result = { ...emptyCheck(SAGA_STOCK_CHECK) };
  const list = new ProblemList();
  const note: Noter = (kind, id, detail) => {
    result[kind] += 1;
    list.note(SAGA_STOCK_CHECK, kind, id, detail);
  };
  const bySku = new Map<string, StockEvent[]>();
  for (const event of events) {
    const stream = bySku.get(event.sku) ?? [];
    stream.push(event);
    bySku.set(event.sku, stream);
  }
  for (const [sku, stream] of bySku) {
    result.checked += 1;
    compareWithSagas(sku, replayStream(sku, stream, note), sagas, note);
  }
  return { result, problems: list.problems };
}
