import {
  forbidden,
  invalid,
  requirePositiveInteger,
  requireSameStream,
  requireText,
  requireTimestamp,
} from '../guards';
import type {
  AdjustStock,
  CommitReservation,
  InventoryCommand,
  ReleaseStock,
  ReserveStock,
  RestockInventory,
} from './commands';
import {
  inventorySchemaVersions,
  type InventoryEvent,
  type ReservationCommitted,
  type StockAdjusted,
  type StockReceived,
  type StockReleased,
  type StockReserved,
} from './events';
import { availableQuantity, reservationOf, type InventoryState } from './state';

// As for orders: validate the command first, then ask the state, so the error code says which.

function sameSku(state: InventoryState, sku: string): void {
  if (state.sku !== null) requireSameStream(state.sku, sku, 'sku');
}

function restock(command: RestockInventory, state: InventoryState): StockReceived[] {
  const sku = requireText(command.sku, 'sku');
  const quantity = requirePositiveInteger(command.quantity, 'quantity');
  const receivedAt = requireTimestamp(command.at, 'at');
  sameSku(state, sku);
  if (!Number.isSafeInteger(state.onHand + quantity)) {
    invalid(`quantity ${quantity} would overflow the stock of ${sku}`, { sku, quantity });
  }
  return [
    {
      type: 'StockReceived',
      schemaVersion: inventorySchemaVersions.StockReceived,
      data: { sku, quantity, receivedAt },
    },
  ];
}

function requireNonZeroInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value === 0) {
    return invalid(`${field} must be a non-zero integer`, { field, value });
  }
  return value;
}

function adjust(command: AdjustStock, state: InventoryState): StockAdjusted[] {
  const sku = requireText(command.sku, 'sku');
  const delta = requireNonZeroInteger(command.delta, 'delta');
  const reason = requireText(command.reason, 'reason');
  const adjustedAt = requireTimestamp(command.at, 'at');
  sameSku(state, sku);
  const onHand = state.onHand + delta;
  if (!Number.isSafeInteger(onHand))
    invalid(`delta ${delta} would overflow the stock of ${sku}`, { sku, delta });
  // Never below what orders hold: available stock cannot go negative, and on hand not below zero.
  if (onHand < state.reserved) {
    forbidden(
      `${sku} has ${state.onHand} on hand, ${state.reserved} of them reserved: cannot adjust by ${delta}`,
      {
        sku,
        onHand: state.onHand,
        reserved: state.reserved,
        delta,
      },
    );
  }
  return [
    {
      type: 'StockAdjusted',
      schemaVersion: inventorySchemaVersions.StockAdjusted,
      data: { sku, delta, reason, adjustedAt },
    },
  ];
}

function reserve(command: ReserveStock, state: InventoryState): StockReserved[] {
  const sku = requireText(command.sku, 'sku');
  const orderId = requireText(command.orderId, 'orderId');
  const quantity = requirePositiveInteger(command.quantity, 'quantity');
  const reservedAt = requireTimestamp(command.at, 'at');
  sameSku(state, sku);
  const held = reservationOf(state, orderId);
  if (held !== undefined) {
    // Reservations are driven by order events consumed from Kafka, which redelivers: the identical
    // request again is a duplicate, already satisfied. A different quantity is a real conflict.
    if (held.quantity === quantity) return [];
    forbidden(
      `order ${orderId} already holds ${held.quantity} of ${sku}; release it before reserving again`,
      {
        sku,
        orderId,
        reserved: held.quantity,
        requested: quantity,
      },
    );
  }
  const available = availableQuantity(state);
  if (available < quantity) {
    forbidden(`only ${available} of ${sku} available, ${quantity} requested`, {
      sku,
      orderId,
      available,
      requested: quantity,
    });
  }
  return [
    {
      type: 'StockReserved',
      schemaVersion: inventorySchemaVersions.StockReserved,
      data: { sku, orderId, quantity, reservedAt },
    },
  ];
}

function release(command: ReleaseStock, state: InventoryState): StockReleased[] {
  const sku = requireText(command.sku, 'sku');
  const orderId = requireText(command.orderId, 'orderId');
  const releasedAt = requireTimestamp(command.at, 'at');
  sameSku(state, sku);
  const held = reservationOf(state, orderId);
  if (held === undefined) {
    return forbidden(`order ${orderId} holds no reservation of ${sku}`, { sku, orderId });
  }
  return [
    {
      type: 'StockReleased',
      schemaVersion: inventorySchemaVersions.StockReleased,
      data: { sku, orderId, quantity: held.quantity, releasedAt },
    },
  ];
}

function commit(command: CommitReservation, state: InventoryState): ReservationCommitted[] {
  const sku = requireText(command.sku, 'sku');
  const orderId = requireText(command.orderId, 'orderId');
  const committedAt = requireTimestamp(command.at, 'at');
  sameSku(state, sku);
  const held = reservationOf(state, orderId);
  if (held === undefined) {
    return forbidden(`order ${orderId} holds no reservation of ${sku}`, { sku, orderId });
  }
  return [
    {
      type: 'ReservationCommitted',
      schemaVersion: inventorySchemaVersions.ReservationCommitted,
      data: { sku, orderId, quantity: held.quantity, committedAt },
    },
  ];
}

/**
 * Decides what an inventory command changes; throws `domain.validation` or `domain.rule` on
 * rejection, and returns no events for a repeated identical reservation.
 */
export function decideInventory(command: InventoryCommand, state: InventoryState): InventoryEvent[] {
  switch (command.type) {
    case 'RestockInventory':
      return restock(command, state);
    case 'AdjustStock':
      return adjust(command, state);
    case 'ReserveStock':
      return reserve(command, state);
    case 'ReleaseStock':
      return release(command, state);
    case 'CommitReservation':
      return commit(command, state);
    default:
      return invalid('unknown inventory command', { type: (command as { type?: unknown }).type });
  }
}
