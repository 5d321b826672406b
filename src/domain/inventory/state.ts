import { TributaryError } from '../../errors';
import type { InventoryEvent, ReservationCommitted, StockReleased } from './events';

/** Units of one SKU set aside for one order. */
export type Reservation = { readonly orderId: string; readonly quantity: number };

/**
 * Stock of one SKU. A SKU nobody has restocked yet is simply empty (`sku` null, nothing on hand), so
 * reserving it fails for lack of stock like any other shortage.
 */
export type StockItem = {
  readonly sku: string | null;
  /** Units physically held, reserved or not. */
  readonly onHand: number;
  /** Σ of `reservations` quantities. */
  readonly reserved: number;
  /** At most one per order, in the order they were made. */
  readonly reservations: readonly Reservation[];
  readonly updatedAt: string | null;
  /** Number of events applied: the stream version this state corresponds to. */
  readonly version: number;
};

/** What `evolve` folds over. */
export type InventoryState = StockItem;

/** The state of a stream with no events. */
export function initialInventoryState(): InventoryState {
  return { sku: null, onHand: 0, reserved: 0, reservations: [], updatedAt: null, version: 0 };
}

/** Units that can still be reserved: on hand minus reserved. */
export function availableQuantity(stock: StockItem): number {
  return stock.onHand - stock.reserved;
}

/** The reservation held for `orderId`, if any. */
export function reservationOf(stock: StockItem, orderId: string): Reservation | undefined {
  return stock.reservations.find((reservation) => reservation.orderId === orderId);
}

// A release or commit without its reservation means a corrupt or mis-wired stream; refuse to build on it.
function corrupt(state: StockItem, event: InventoryEvent): never {
  throw new TributaryError('internal', `${event.type} cannot apply to stock of ${String(state.sku)}`, {
    details: { type: event.type, sku: state.sku, version: state.version },
  });
}

/** The state without the reservation a release or commit ends. */
function withoutReservation(state: StockItem, event: StockReleased | ReservationCommitted): StockItem {
  const held = reservationOf(state, event.data.orderId);
  if (held === undefined) return corrupt(state, event);
  return {
    ...state,
    reserved: state.reserved - held.quantity,
    reservations: state.reservations.filter((reservation) => reservation.orderId !== held.orderId),
  };
}

/** Applies one inventory event. */
export function evolveInventory(state: InventoryState, event: InventoryEvent): InventoryState {
  const next = { sku: event.data.sku, version: state.version + 1 };
  switch (event.type) {
    case 'StockReceived':
      return {
        ...state,
        ...next,
        onHand: state.onHand + event.data.quantity,
        updatedAt: event.data.receivedAt,
      };
    case 'StockAdjusted':
      return {
        ...state,
        ...next,
        onHand: state.onHand + event.data.delta,
        updatedAt: event.data.adjustedAt,
      };
    case 'StockReserved': {
      const { orderId, quantity, reservedAt } = event.data;
      return {
        ...state,
        ...next,
        reserved: state.reserved + quantity,
        reservations: [...state.reservations, { orderId, quantity }],
        updatedAt: reservedAt,
      };
    }
    case 'StockReleased':
      return { ...withoutReservation(state, event), ...next, updatedAt: event.data.releasedAt };
    case 'ReservationCommitted': {
      const without = withoutReservation(state, event);
      return {
        ...without,
        ...next,
        onHand: without.onHand - event.data.quantity,
        updatedAt: event.data.committedAt,
      };
    }
  }
}
