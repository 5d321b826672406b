export type {
  AddOrderLine,
  CancelOrder,
  ConfirmOrder,
  CreateOrder,
  MarkReadyToShip,
  OrderCommand,
  RemoveOrderLine,
} from './commands';
export { decideOrder } from './decide';
export { orderDecider } from './decider';
export {
  SALES_CHANNELS,
  orderSchemaVersions,
  type Customer,
  type OrderCancelled,
  type OrderCancelledData,
  type OrderConfirmed,
  type OrderConfirmedData,
  type OrderCreated,
  type OrderCreatedData,
  type OrderEvent,
  type OrderLine,
  type OrderLineAdded,
  type OrderLineAddedData,
  type OrderLineRemoved,
  type OrderLineRemovedData,
  type OrderReadyToShip,
  type OrderReadyToShipData,
  type SalesChannel,
} from './events';
export {
  evolveOrder,
  initialOrderState,
  isOrder,
  totalAmountOf,
  type NoOrder,
  type Order,
  type OrderState,
  type OrderStatus,
} from './state';
export { orderCreatedV1ToV2, orderUpcasters } from './upcasters';
export { toOrderView, type OrderLineView, type OrderView } from './view';
