import type { Customer, OrderLine, SalesChannel } from './events';

/**
 * Commands of the Order aggregate. `at` is the business time of the command (ISO 8601 with a time
 * zone), supplied by the caller so that deciding stays deterministic; ids are supplied the same way.
 */

/** Places a new order. `salesChannel` defaults to `web`. */
export type CreateOrder = {
  readonly type: 'CreateOrder';
  readonly orderId: string;
  readonly customer: Customer;
  readonly lines: readonly OrderLine[];
  readonly currency: string;
  readonly salesChannel?: SalesChannel;
  readonly at: string;
};

/** Adds a line for a SKU that is not on the order yet; only while the order is pending. */
export type AddOrderLine = {
  readonly type: 'AddOrderLine';
  readonly orderId: string;
  readonly line: OrderLine;
  readonly at: string;
};

/** Removes the line of a SKU; only while the order is pending, and never its last line. */
export type RemoveOrderLine = {
  readonly type: 'RemoveOrderLine';
  readonly orderId: string;
  readonly sku: string;
  readonly at: string;
};

/** Confirms a pending order. */
export type ConfirmOrder = { readonly type: 'ConfirmOrder'; readonly orderId: string; readonly at: string };

/** Cancels a pending or confirmed order. */
export type CancelOrder = {
  readonly type: 'CancelOrder';
  readonly orderId: string;
  readonly reason: string;
  readonly at: string;
};

/** A confirmed order is paid and its stock committed: it may leave the warehouse (the fulfilment saga's step). */
export type MarkReadyToShip = {
  readonly type: 'MarkReadyToShip';
  readonly orderId: string;
  readonly at: string;
};

/** Every command the Order aggregate decides on. */
export type OrderCommand =
  CreateOrder | AddOrderLine | RemoveOrderLine | ConfirmOrder | CancelOrder | MarkReadyToShip;
