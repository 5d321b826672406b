import {
  forbidden,
  invalid,
  requirePositiveInteger,
  requireSameStream,
  requireText,
  requireTimestamp,
} from '../guards';
import type { InventoryCommand, ReleaseStock, ReserveStock, RestockInventory } from './commands';
import {
  inventorySchemaVersions,
  type InventoryEvent,
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

/**
 * Decides what an inventory command changes; throws `domain.validation` or `domain.rule` on
 * rejection, and returns no events for a repeated identical reservation.
 */
export function decideInventory(command: InventoryCommand, state: InventoryState): InventoryEvent[] {
  switch (command.type) {
    case 'RestockInventory':
      return restock(command, state);
    case 'ReserveStock':
      return reserve(command, state);
    case 'ReleaseStock':
      return release(command, state);
    default:
      return invalid('unknown inventory command', { type: (command as { type?: unknown }).type });
  }
}
