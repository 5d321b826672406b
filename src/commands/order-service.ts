import type { Pool } from 'pg';
import type { Config } from '../config';
import type { Executor } from '../db/executor';
import { currentSchemaVersions, upcasters } from '../domain/registry';
import { isOrder, OrderState } from '../domain/orders/state';
import { orderDecider } from '../domain/orders/decider';
import type { OrderCommand } from '../domain/orders/commands';
import type { OrderEvent } from '../domain/orders/events';
import { toOrderView, type OrderView } from '../domain/orders/view';
import { isPayment, PaymentState } from '../domain/payments/state';
import { paymentDecider } from '../domain/payments/decider';
import { toPaymentView } from '../domain/payments/view';
import type { PaymentCommand } from '../domain/payments/commands';
import type { PaymentEvent } from '../domain/payments/events';
import { createEventStore, EventStore, upcaster } from '../eventstore';
import { AggregateKind, handleCommand, reducerOf, type HandlerSettings } from './handle';
import { checkPaymentAgainstOrder } from './payment-checks';
import { createStateCache } from './state-cache';
import type { AsOf, HistoryEntry, OrderService, PaymentView } from './types';

/** The Order aggregate as the handler sees it. Bump `snapshotVersion` when evolve or OrderState changes. */
export const orders: AggregateKind<OrderCommand, OrderEvent, OrderState, OrderView> = {
  streamType: 'order',
  streamId: (id) => `order-${id}`,
  decider: orderDecider,
  snapshotVersion: 2, // 2: the state gained readyToShipAt
  occurredAt: (command) => command.at,
  view: (state) => (isOrder(state) ? toOrderView(state) : undefined),
};

export const payments: AggregateKind<PaymentCommand, PaymentEvent, PaymentState, PaymentView> = {
  streamType: 'payment',
  streamId: (id) => `payment-${id}`,
  decider: paymentDecider,
  snapshotVersion: 1,
  occurredAt: (command) => command.at,
  view: (state) => (isPayment(state) ? toPaymentView(state) : undefined),
};

/** The request a retry must repeat to count as the same: the command without its server-made time. */
const requestOf = (command: { at: string }) => ({ ...command, at: undefined });

export function createEventStoreFor(config: Config, pool: Pool): EventStore {
  return createEventStore({
    pool,
    upcast: upcaster(upcasters, currentSchemaVersions),
    outboxMode: config.outboxMode,
    groupMax: config.storeGroupMax,
    groupInFlight: config.storeGroupInFlight,
  });
}

export function handlerSettingsOf(config: Config, store: EventStore): HandlerSettings {
  return {
    store,
    snapshotEvery: config.snapshotEvery,
    // Without a cache (size 0) every command loads its stream; with one, a new stream is guessed new too.
    ...(config.commandCacheSize > 0 ? { cache: createStateCache(config.commandCacheSize) } : {}),
    idempotencyKeyTtlMs: config.idempotencyKeyTtlMs,
    maxEventBytes: config.maxEventBytes,
  };
}

/** The command side over PostgreSQL. */
export function createOrderService(config: Config, store: EventStore): OrderService {
  const settings = handlerSettingsOf(config, store);
  const orderReducer = reducerOf(orders);

  return {
    executeOrder: (command, options) =>
      handleCommand(settings, orders, command.orderId, command, requestOf(command), options),

    executePayment(command, options) {
      if (command.type === 'RefundPayment') {
        return handleCommand(settings, payments, command.paymentId, command, requestOf(command), options);
      }
      // Checked against its order (currency, amount due, not cancelled) in the transaction recording it.
      const orderStream = orders.streamId(command.orderId);
      const orderAt = async (executor: Executor, version: number) => {
        const cached = settings.cache?.get<OrderState>(orderStream, orders.snapshotVersion);
        const fresh = cached?.version === version;
        const state = fresh
          ? cached.state
          : (await store.load(orderStream, orderReducer, {}, executor)).state;
        return isOrder(state) ? state : undefined;
      };
      const request = { ...requestOf(command), paymentId: undefined };
      return handleCommand(settings, payments, command.paymentId, command, request, options, (executor) =>
        checkPaymentAgainstOrder(executor, command, orderStream, orderAt),
      );
    },

    async getOrder(orderId, asOf?: AsOf) {
      const loaded = await store.load(
        orders.streamId(orderId),
        orderReducer,
        asOf === undefined ? {} : 'at' in asOf ? { asOf: asOf.at } : { toVersion: asOf.version },
      );
      // A version the stream has not reached yet did not exist.
      if (asOf !== undefined && 'version' in asOf && loaded.version < asOf.version) return undefined;
      return orders.view(loaded.state);
    },

    async history(orderId, page = {}) {
      const from = (page.afterVersion ?? 0) + 1;
      const to = page.limit === undefined ? {} : { toVersion: from + page.limit - 1 };
      const events = await store.readStream(orders.streamId(orderId), { fromVersion: from, ...to });
      return events.map((event): HistoryEntry => ({
        position: event.position,
        streamId: orderId,
        version: event.version,
        eventId: event.eventId,
        type: event.type,
        schemaVersion: event.schemaVersion,
        data: event.data,
        metadata: event.metadata,
        occurredAt: event.occurredAt,
        recordedAt: event.recordedAt,
      }));
    },
  };
}
