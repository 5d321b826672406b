import type { InventoryService, OrderService } from '../commands';
import type { Executor } from '../db/executor';
import type { EventStore } from '../eventstore';
import type { PaymentGateway } from '../gateway';
import type { Logger } from '../observability';
import type { SagaMetrics } from './metrics';

/** What every part of the saga reaches the world through: the command side, the gateway, settings. */
export interface SagaContext {
  store: EventStore;
  orders: OrderService;
  inventory: InventoryService;
  gateway: PaymentGateway;
  logger: Logger;
  metrics: SagaMetrics;
  /** The business time of the saga's commands. */
  now(): string;
  paymentTimeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

/** One transaction on one saga: its row is locked (or new) for as long as `executor` lives. */
export interface SagaTx {
  ctx: SagaContext;
  executor: Executor;
  orderId: string;
  /** The event that caused what this transaction does: the causation id of the commands it issues. */
  causationId: string;
}
