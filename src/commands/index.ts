export {
  createOrderService,
  createEventStoreFor,
  handlerSettingsOf,
  orders,
  payments,
} from './order-service';
export { createInventoryService, inventory, type InventoryService } from './inventory-service';
export { handleCommand, reducerOf } from './handle';
export { deleteExpiredKeys, startKeyCleanup } from './idempotency';
export type { AggregateKind, HandlerSettings } from './handle';
export type * from './types';
