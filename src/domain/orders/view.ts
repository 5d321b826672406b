import type { Customer, SalesChannel } from './events';
import type { Order, OrderStatus } from './state';

/** A line as published: the stored line plus its amount, so consumers need not multiply. */
export type OrderLineView = {
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
  /**
   * @asType integer
   * @minimum 0
   */
  readonly lineTotal: number;
};

/**
 * The public representation of an order after a change: what integration events carry
 * (event-carried state transfer) so a consumer can write a whole document without the history.
 * Plain JSON: absent timestamps are `null`, never `undefined`.
 */
export type OrderView = {
  readonly id: string;
  readonly status: OrderStatus;
  readonly customer: Customer;
  readonly lines: readonly OrderLineView[];
  /**
   * @asType integer
   * @minimum 0
   */
  readonly totalAmount: number;
  readonly currency: string;
  readonly salesChannel: SalesChannel;
  /** @format date-time */
  readonly createdAt: string;
  /** @format date-time */
  readonly updatedAt: string;
  /** @format date-time */
  readonly confirmedAt: string | null;
  /** @format date-time */
  readonly cancelledAt: string | null;
  readonly cancellationReason: string | null;
  /**
   * The stream version this view reflects; consumers use it to ignore stale copies.
   * @asType integer
   * @minimum 1
   */
  readonly version: number;
};

/**
 * Builds the view from an order's state. The result shares no objects with the state, so a consumer
 * of the view cannot change the aggregate by accident.
 */
export function toOrderView(order: Order): OrderView {
  return {
    id: order.id,
    status: order.status,
    customer: { id: order.customer.id, name: order.customer.name, email: order.customer.email },
    lines: order.lines.map((line) => ({
      sku: line.sku,
      name: line.name,
      quantity: line.quantity,
      unitPrice: line.unitPrice,
      lineTotal: line.quantity * line.unitPrice,
    })),
    totalAmount: order.totalAmount,
    currency: order.currency,
    salesChannel: order.salesChannel,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    confirmedAt: order.confirmedAt,
    cancelledAt: order.cancelledAt,
    cancellationReason: order.cancellationReason,
    version: order.version,
  };
}
