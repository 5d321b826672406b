export { appendWithin } from './append-within';
export type { AppendWithinOptions, StreamAppend } from './append-within';
export { entityManagerExecutor } from './entity-manager-executor';
export { backfill, DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE } from './backfill';
export type { BackfillOptions, BackfillProgress, BackfillResult, CrudConfig } from './backfill';
export { outboxSubscriber, outboxSubscriberClass } from './subscriber';
export type {
  EntityChange,
  EntityChangeKind,
  OutboxSubscriberOptions,
  SubscribedEntity,
  SubscribedTarget,
} from './subscriber';
export { Customer, CUSTOMER_TIERS } from './example/customer.entity';
export type { CustomerTier } from './example/customer.entity';
export { createCustomerService, customerStreamId, CUSTOMER_STREAM_TYPE } from './example/customer-service';
export type { CustomerChange, CustomerService, RegisterCustomer } from './example/customer-service';
