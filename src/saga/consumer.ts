import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { kafkaClient, type KafkaSettings } from '../clients';
import type { ConsumerContracts } from '../contracts';
import { isRetriable, toTributaryError } from '../errors';
import { decodeMessage } from '../projections/runtime';
import { sleep } from '../util';
import { onOrderCancelled } from './cancelled';
import type { SagaContext } from './context';
import { startSaga, type ConsumedEvent, type Handled } from './start';

/**
 * The saga's consumer of the order topic (its own consumer group). Each event that concerns it is handled in
 * one transaction that also records its id (exactly-once effect, as the projectors do); the offset is
 * committed after the batch's transactions committed, so a crash redelivers, and a redelivery changes nothing.
 */
export interface SagaConsumerOptions {
  connection: KafkaSettings;
  groupId: string;
  topic: string;
  contracts: ConsumerContracts;
  partitionsConsumedConcurrently: number;
}

/** Attempts at an event whose failure is not retriable before it is logged and skipped. */
const ATTEMPTS_ON_BUGS = 3;

const HANDLERS: Record<string, (ctx: SagaContext, event: ConsumedEvent) => Promise<Handled>> = {
  OrderConfirmed: startSaga,
  OrderCancelled: onOrderCancelled,
};

export async function runSagaConsumer(
  ctx: SagaContext,
  options: SagaConsumerOptions,
  stop: AbortSignal,
): Promise<void> {
  const kafka = kafkaClient(options.connection, {
    clientId: 'tributary-saga',
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
  });
  const consumer = kafka.consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: ctx.retryMaxMs },
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
      eachBatch: (payload) => consumeBatch(ctx, options, consumer, payload, stop),
    });
    await new Promise<void>((resolve) => {
      if (stop.aborted) resolve();
      else stop.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    // kafkajs waits for the batch in flight before it leaves the group: in-flight work finishes.
    await consumer.disconnect().catch(() => undefined);
  }
}

async function consumeBatch(
  ctx: SagaContext,
  options: SagaConsumerOptions,
  consumer: Consumer,
  { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload,
  stop: AbortSignal,
): Promise<void> {
  let done: string | undefined; // the last offset handled (its effect committed in PostgreSQL)
  try {
    for (const message of batch.messages) {
      if (stop.aborted || !isRunning() || isStale()) return; // the rest is redelivered
      if (!(await consumeMessage(ctx, options, batch, message, stop))) return;
      resolveOffset(message.offset);
      done = message.offset;
      await heartbeat();
    }
  } finally {
    // One offset commit per batch, after the transactions of what it covers committed.
    if (done !== undefined) {
      const offset = (BigInt(done) + 1n).toString();
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset }]);
    }
  }
}

/** Handles one message; false when stopping before its effect committed. */
async function consumeMessage(
  ctx: SagaContext,
  options: SagaConsumerOptions,
  batch: EachBatchPayload['batch'],
  message: KafkaMessage,
  stop: AbortSignal,
): Promise<boolean> {
  const position = { topic: batch.topic, partition: batch.partition, offset: message.offset };
  const decoded = decodeMessage(message, position, options.contracts);
  if (!decoded.ok) {
    ctx.logger.error({ offset: message.offset, reason: decoded.reason }, 'saga: not an order event; skipped');
    return true;
  }
  if (!HANDLERS[decoded.event.type]) return true;
  const handled = await handlePatiently(ctx, decoded.event, stop);
  if (handled === undefined) return false;
  if (handled === 'duplicate') ctx.metrics.duplicates.inc();
  return true;
}

/**
 * Handles one event until it succeeds: a lost race or an unavailable service is retried with backoff for as
 * long as it takes; anything else (a bug) a few times, then logged and skipped. Undefined when stopping.
 */
async function handlePatiently(
  ctx: SagaContext,
  event: ConsumedEvent,
  stop: AbortSignal,
): Promise<Handled | undefined> {
  const handler = HANDLERS[event.type]!;
  for (let attempt = 1; !stop.aborted; attempt++) {
    const started = process.hrtime.bigint();
    try {
      const handled = await handler(ctx, event);
      ctx.metrics.stepSeconds.observe({ step: event.type }, Number(process.hrtime.bigint() - started) / 1e9);
      return handled;
    } catch (error) {
      const failure = toTributaryError(error);
      ctx.metrics.failures.inc({ step: event.type, code: failure.code });
      const passing = isRetriable(failure) || failure.code === 'store.conflict';
      const fields = { eventId: event.id, orderId: event.aggregateId, code: failure.code, attempt };
      if (!passing && attempt >= ATTEMPTS_ON_BUGS) {
        ctx.logger.error({ ...fields, err: failure.message }, `saga: ${event.type} failed; skipped`);
        return 'ignored';
      }
      ctx.logger.warn({ ...fields, err: failure.message }, `saga: ${event.type} failed; retrying`);
      await sleep(passing && failure.code === 'store.conflict' ? 10 : backoff(ctx, attempt), stop);
    }
  }
  return undefined;
}

const backoff = (ctx: SagaContext, attempt: number) =>
  Math.min(ctx.retryBaseMs * 2 ** Math.min(attempt - 1, 20), ctx.retryMaxMs);
