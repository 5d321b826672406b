import type {
  OrderCancelledData,
  OrderConfirmedData,
  OrderCreatedData,
  OrderLineAddedData,
  OrderLineRemovedData,
  OrderReadyToShipData,
} from '../domain/orders/events';
import type { OrderView } from '../domain/orders/view';
import type { PaymentRecordedData, PaymentRefundedData } from '../domain/payments/events';
import type { PaymentView } from '../domain/payments/view';
import type {
  ReservationCommittedData,
  StockAdjustedData,
  StockReceivedData,
  StockReleasedData,
  StockReservedData,
} from '../domain/inventory/events';
import type { StockView } from '../domain/inventory/view';

/**
 * The CloudEvent `data` of each event type at its current schema version, as TypeScript types: the change
 * (the domain event's data) and the aggregate's public view after it (event-carried state transfer).
 *
 * These types are the source the JSON Schemas of current versions are generated from (`tributary schemas
 * write`, into schemas/<aggregate>/<EventType>/v<N>.json); a unit test regenerates them and fails when a
 * committed schema and its type disagree. Older versions' schemas are frozen files: no type describes them.
 */

/** The data of every order event: what changed, and the order after it. */
export interface OrderEventPayload<Change> {
  change: Change;
  state: OrderView;
}

/** The data of every payment event: what changed, and the payment after it. */
export interface PaymentEventPayload<Change> {
  change: Change;
  state: PaymentView;
}

/** The data of every inventory event: what changed, and the SKU's stock after it. */
export interface InventoryEventPayload<Change> {
  change: Change;
  state: StockView;
}

export type OrderCreatedPayload = OrderEventPayload<OrderCreatedData>;
export type OrderLineAddedPayload = OrderEventPayload<OrderLineAddedData>;
export type OrderLineRemovedPayload = OrderEventPayload<OrderLineRemovedData>;
export type OrderConfirmedPayload = OrderEventPayload<OrderConfirmedData>;
export type OrderCancelledPayload = OrderEventPayload<OrderCancelledData>;
export type OrderReadyToShipPayload = OrderEventPayload<OrderReadyToShipData>;
export type PaymentRecordedPayload = PaymentEventPayload<PaymentRecordedData>;
export type PaymentRefundedPayload = PaymentEventPayload<PaymentRefundedData>;
export type StockReceivedPayload = InventoryEventPayload<StockReceivedData>;
export type StockAdjustedPayload = InventoryEventPayload<StockAdjustedData>;
export type StockReservedPayload = InventoryEventPayload<StockReservedData>;
export type StockReleasedPayload = InventoryEventPayload<StockReleasedData>;
export type ReservationCommittedPayload = InventoryEventPayload<ReservationCommittedData>;
