import type { DomainEvent } from '../decider';

export type StockReceivedData = {
  readonly sku: string;
  readonly quantity: number;
  readonly receivedAt: string;
};

export type StockReservedData = {
  readonly sku: string;
  readonly orderId: string;
  readonly quantity: number;
  readonly reservedAt: string;
};

/** `quantity` is what the reservation held, so consumers need no history to undo it. */
export type StockReleasedData = {
  readonly sku: string;
  readonly orderId: string;
  readonly quantity: number;
  readonly releasedAt: string;
};

/** Units of a SKU arrived and are on hand. */
export type StockReceived = DomainEvent<'StockReceived', StockReceivedData>;
/** Units on hand were set aside for an order. */
export type StockReserved = DomainEvent<'StockReserved', StockReservedData>;
/** An order's reservation was given up; its units are available again. */
export type StockReleased = DomainEvent<'StockReleased', StockReleasedData>;

/** Every fact the Inventory aggregate records. */
export type InventoryEvent = StockReceived | StockReserved | StockReleased;

/** The schema version `decide` writes for each inventory event type. */
export const inventorySchemaVersions = {
  StockReceived: 1,
  StockReserved: 1,
  StockReleased: 1,
} as const satisfies Record<InventoryEvent['type'], number>;
