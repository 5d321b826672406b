import type { Config } from '../config';
import { orderContracts, orderTopic } from '../contracts';
import {
  createInventoryService,
  createEventStoreFor,
  createOrderService,
  handlerSettingsOf,
} from '../commands';
import { pgExecutor } from '../db/executor';
import { createPool } from '../db/pool';
import { TributaryError } from '../errors';
import { gatewayFor } from '../gateway';
import { createLogger, serveMetrics, type Logger } from '../observability';
import { readFulfilment, runSaga, sagaMetrics, type SagaContext } from '../saga';
import { databaseUrlFor } from './database';
import { stopOnSignal } from './stop-signal';

/**
 * `saga` runs the order-fulfilment saga (its consumer of the order topic, capture workers and timer worker)
 * until SIGINT/SIGTERM, which let the work in flight finish; `saga show ORDER_ID` prints an order's saga.
 * The saga runs with its own database role (SAGA_DATABASE_URL): it appends events as the API does and
 * writes its own tables.
 */

export const SAGA_USAGE = `  saga                           run the order-fulfilment saga (consumer group <prefix>saga) until SIGINT/SIGTERM
  saga show ORDER_ID             an order's saga: state, steps with times, compensations (JSON)`;

/** Business time of the saga's commands: now. */
const now = () => new Date().toISOString();

function openPool(config: Config, logger: Logger) {
  const url = databaseUrlFor(config, 'saga', logger);
  return createPool(url, config.sagaCaptureConcurrency + config.sagaPartitionsConcurrency + 3, (error) =>
    logger.warn({ err: error.message }, 'a PostgreSQL connection failed; it will be replaced'),
  );
}

export async function sagaCommand(
  config: Config,
  args: string[],
  say: (line: string) => void,
): Promise<number> {
  if (args[0] === 'show') return showCommand(config, args[1], say);
  if (args.length > 0)
    throw new TributaryError(
      'input.invalid',
      `saga: unknown argument '${args[0]}'; try saga or saga show ORDER_ID`,
    );
  const logger = createLogger(config, 'saga');
  const metrics = sagaMetrics();
  const gateway = gatewayFor(config);
  const server =
    config.sagaMetricsPort > 0
      ? await serveMetrics(metrics, config.metricsHost, config.sagaMetricsPort)
      : undefined;
  const pool = openPool(config, logger);
  const store = createEventStoreFor(config, pool);
  const ctx: SagaContext = {
    store,
    orders: createOrderService(config, store),
    inventory: createInventoryService(handlerSettingsOf(config, store)),
    gateway,
    logger,
    metrics,
    now,
    paymentTimeoutMs: config.sagaPaymentTimeoutMs,
    reservationTimeoutMs: config.sagaReservationTimeoutMs,
    appliedRetentionMs: config.sagaAppliedRetentionMs,
    retryBaseMs: 200,
    retryMaxMs: config.sagaRetryMaxMs,
  };
  const stop = stopOnSignal(logger);
  const groupId = `${config.projectorGroupPrefix}saga`;
  try {
    say(
      `saga: consuming ${orderTopic(config)} as ${groupId} (Kafka user ${config.kafkaUsername}); gateway ${config.paymentGatewayUrl}; Ctrl-C stops it`,
    );
    await runSaga(
      ctx,
      {
        connection: config,
        groupId,
        topic: orderTopic(config),
        contracts: orderContracts(config.cloudEventTypePrefix),
        partitionsConsumedConcurrently: config.sagaPartitionsConcurrency,
        captureConcurrency: config.sagaCaptureConcurrency,
        pollMs: config.sagaPollMs,
      },
      stop.signal,
    );
    return 0;
  } finally {
    stop.release();
    server?.close();
    await pool.end().catch(() => undefined);
  }
}

async function showCommand(
  config: Config,
  orderId: string | undefined,
  say: (line: string) => void,
): Promise<number> {
  if (orderId === undefined || orderId.trim() === '') {
    throw new TributaryError('input.invalid', 'saga show: name an order id');
  }
  const logger = createLogger(config, 'saga');
  const pool = openPool(config, logger);
  try {
    const fulfilment = await readFulfilment(pgExecutor(pool), orderId);
    if (!fulfilment) throw new TributaryError('store.not_found', `order ${orderId} has no saga`);
    say(JSON.stringify(fulfilment, null, 2));
    return 0;
  } finally {
    await pool.end().catch(() => undefined);
  }
}
