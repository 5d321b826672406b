import type { DomainEvent } from '../decider';

/** Where an order was placed. Added in OrderCreated schema version 2. */
export const SALES_CHANNELS = ['web', 'store', 'phone', 'marketplace'] as const;
export type SalesChannel = (typeof SALES_CHANNELS)[number];

/** The customer as known when the order was placed (a copy, not a reference to a customer record). */
export type Customer = { readonly id: string; readonly name: string; readonly email: string };

/** One line of an order; `unitPrice` is in minor units of the order's currency. */
export type OrderLine = {
  readonly sku: string;
  readonly name: string;
  /**
   * @asType integer
   * @minimum 1
   */
  readonly quantity: number;
  /**
   * @asType integer
   * @minimum 0
   */
  readonly unitPrice: number;
};

/** Data of OrderCreated, schema version 2 (version 1 lacked `salesChannel`). */
export type OrderCreatedData = {
  readonly orderId: string;
  readonly customer: Customer;
  readonly lines: readonly OrderLine[];
  readonly currency: string;
  readonly salesChannel: SalesChannel;
  /** @format date-time */
  readonly createdAt: string;
};

export type OrderLineAddedData = {
  readonly orderId: string;
  readonly line: OrderLine;
  /** @format date-time */
  readonly addedAt: string;
};

export type OrderLineRemovedData = {
  readonly orderId: string;
  readonly sku: string;
  /** @format date-time */
  readonly removedAt: string;
};

export type OrderConfirmedData = {
  readonly orderId: string;
  /** @format date-time */
  readonly confirmedAt: string;
};

export type OrderCancelledData = {
  readonly orderId: string;
  readonly reason: string;
  /** @format date-time */
  readonly cancelledAt: string;
};

export type OrderReadyToShipData = {
  readonly orderId: string;
  /** @format date-time */
  readonly readyAt: string;
};

/** An order was placed with its first lines. */
export type OrderCreated = DomainEvent<'OrderCreated', OrderCreatedData>;
/** A line for a SKU not yet on the order was added. */
export type OrderLineAdded = DomainEvent<'OrderLineAdded', OrderLineAddedData>;
/** The line of a SKU was removed. */
export type OrderLineRemoved = DomainEvent<'OrderLineRemoved', OrderLineRemovedData>;
/** The order was confirmed; its lines are final. */
export type OrderConfirmed = DomainEvent<'OrderConfirmed', OrderConfirmedData>;
/** The order was cancelled; nothing can change it afterwards. */
export type OrderCancelled = DomainEvent<'OrderCancelled', OrderCancelledData>;

/** A confirmed order was paid and its stock committed: it may be shipped; it can no longer be cancelled. */
export type OrderReadyToShip = DomainEvent<'OrderReadyToShip', OrderReadyToShipData>;

/** Every fact the Order aggregate records. */
export type OrderEvent =
  OrderCreated | OrderLineAdded | OrderLineRemoved | OrderConfirmed | OrderCancelled | OrderReadyToShip;

/** The schema version `decide` writes for each order event type. */
export const orderSchemaVersions = {
  OrderCreated: 2,
  OrderLineAdded: 1,
  OrderLineRemoved: 1,
  OrderConfirmed: 1,
  OrderCancelled: 1,
  OrderReadyToShip: 1,
} as const satisfies Record<OrderEvent['type'], number>;
