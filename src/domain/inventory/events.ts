import type { DomainEvent } from '../decider';

export type StockReceivedData = {
  readonly sku: string;
  /**
   * @asType integer
   * @minimum 1
   */
  readonly quantity: number;
  /** @format date-time */
  readonly receivedAt: string;
};

export type StockReservedData = {
  readonly sku: string;
  readonly orderId: string;
  /**
   * @asType integer
   * @minimum 1
   */
  readonly quantity: number;
  /** @format date-time */
  readonly reservedAt: string;
};

/** `quantity` is what the reservation held, so consumers need no history to undo it. */
export type StockReleasedData = {
  readonly sku: string;
  readonly orderId: string;
  /**
   * @asType integer
   * @minimum 1
   */
  readonly quantity: number;
  /** @format date-time */
  readonly releasedAt: string;
};

/** `delta` units more or fewer on hand than recorded, and why (a count, damage, loss). */
export type StockAdjustedData = {
  readonly sku: string;
  /**
   * Units more (positive) or fewer (negative) on hand.
   * @asType integer
   */
  readonly delta: number;
  readonly reason: string;
  /** @format date-time */
  readonly adjustedAt: string;
};

/** `quantity` is what the reservation held: these units left the stock for the order. */
export type ReservationCommittedData = {
  readonly sku: string;
  readonly orderId: string;
  /**
   * @asType integer
   * @minimum 1
   */
  readonly quantity: number;
  /** @format date-time */
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
