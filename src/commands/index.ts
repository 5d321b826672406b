export { createOrderService, createEventStoreFor, orders, payments } from './order-service';
export { handleCommand, reducerOf } from './handle';
export { deleteExpiredKeys, startKeyCleanup } from './idempotency';
export type { AggregateKind, HandlerSettings } from './handle';
export type * from './types';
