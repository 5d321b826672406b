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

/** `delta` units more or fewer on hand than recorded, and why (a count, damage, loss). */
export type StockAdjustedData = {
  readonly sku: string;
  readonly delta: number;
  readonly reason: string;
  readonly adjustedAt: string;
};

/** `quantity` is what the reservation held: these units left the stock for the order. */
export type ReservationCommittedData = {
  readonly sku: string;
  readonly orderId: string;
  readonly quantity: number;
  readonly committedAt: string;
};

/** Units of a SKU arrived and are on hand. */
export type StockReceived = DomainEvent<'StockReceived', StockReceivedData>;
/** Units on hand were set aside for an order. */
export type StockReserved = DomainEvent<'StockReserved', StockReservedData>;
/** An order's reservation was given up; its units are available again. */
export type StockReleased = DomainEvent<'StockReleased', StockReleasedData>;

/** Units on hand were corrected. */
export type StockAdjusted = DomainEvent<'StockAdjusted', StockAdjustedData>;
/** An order's reservation was fulfilled; its units are no longer on hand. */
export type ReservationCommitted = DomainEvent<'ReservationCommitted', ReservationCommittedData>;

/** Every fact the Inventory aggregate records. */
export type InventoryEvent =
  StockReceived | StockAdjusted | StockReserved | StockReleased | ReservationCommitted;

/** The schema version `decide` writes for each inventory event type. */
export const inventorySchemaVersions = {
  StockReceived: 1,
  StockReserved: 1,
  StockReleased: 1,
  StockAdjusted: 1,
  ReservationCommitted: 1,
} as const satisfies Record<InventoryEvent['type'], number>;
